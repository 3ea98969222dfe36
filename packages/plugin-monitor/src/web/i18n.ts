import { useI18n } from '@webcasa/ui';
import { type MessageKey, messages } from './messages.js';

export type { MessageKey } from './messages.js';

const registered = new WeakSet<object>();

/**
 * The shell's translator with this plugin's catalog added (once per shell). Use it in every
 * component instead of `useI18n().t` so the strings are there before the first render.
 */
export function useMonitorI18n(): {
  t: (key: MessageKey, params?: Record<string, unknown>) => string;
  locale: () => string;
} {
  const i18n = useI18n();
  if (!registered.has(i18n)) {
    registered.add(i18n);
    i18n.addMessages('en', messages.en);
    i18n.addMessages('zh-CN', messages['zh-CN']);
  }
  return { t: (key, params) => i18n.t(key, params), locale: () => i18n.locale() };
}
