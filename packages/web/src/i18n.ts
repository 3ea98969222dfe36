import { format, type I18n, type Locale, type Messages, uiMessages } from '@webcasa/ui';
import { createSignal } from 'solid-js';
import { en } from './messages/en.js';
import { zhCN } from './messages/zh-CN.js';

export const LOCALES: { id: Locale; label: string }[] = [
  { id: 'en', label: 'English' },
  { id: 'zh-CN', label: '简体中文' },
];

/** The shell's translations: the ui catalog, the shell's, and what plugins add. */
export function createI18n(initial: Locale, onChange?: (locale: Locale) => void): I18n {
  const catalogs: Record<Locale, Messages> = {
    en: { ...uiMessages.en, ...en },
    'zh-CN': { ...uiMessages['zh-CN'], ...zhCN },
  };
  const [locale, setLocaleSignal] = createSignal<Locale>(initial);
  const [version, setVersion] = createSignal(0);
  const formatters = new Map<Locale, Intl.DateTimeFormat>();
  return {
    locale,
    setLocale(next) {
      setLocaleSignal(next);
      document.documentElement.lang = next;
      onChange?.(next);
    },
    t(key, params) {
      version();
      const l = locale();
      return format(catalogs[l][key] ?? catalogs.en[key] ?? key, params);
    },
    addMessages(l, messages) {
      catalogs[l] = { ...catalogs[l], ...messages };
      setVersion((v) => v + 1);
    },
    formatTime(ms) {
      if (ms === null || ms === undefined) return '—';
      const l = locale();
      let f = formatters.get(l);
      if (!f) {
        f = new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeStyle: 'medium' });
        formatters.set(l, f);
      }
      return f.format(ms);
    },
  };
}
