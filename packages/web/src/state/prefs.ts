import type { Locale, Mode, Theme } from '@webcasa/ui';

const KEY = 'webcasa.prefs';

/** What each browser remembers: theme, language and the novice/advanced mode. */
export interface Prefs {
  theme?: Theme;
  locale?: Locale;
  mode?: Mode;
}

export function readPrefs(): Prefs {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Prefs;
    return typeof parsed === 'object' && parsed ? parsed : {};
  } catch {
    return {};
  }
}

export function writePrefs(patch: Prefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...readPrefs(), ...patch }));
  } catch {
    // Private mode or storage full: the choice lasts for this page only.
  }
}

/** The browser's language, when it is one the panel speaks. */
export function browserLocale(): Locale | undefined {
  const langs = navigator.languages ?? [navigator.language];
  for (const l of langs) {
    if (/^zh(-(CN|Hans|SG))?/i.test(l)) return 'zh-CN';
    if (/^en/i.test(l)) return 'en';
  }
  return undefined;
}

export function systemTheme(): Theme {
  return matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}
