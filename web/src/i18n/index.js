// One i18n instance per app, both reading the same choice from localStorage,
// so switching language on the console also holds on the phone pages.
import { createI18n } from 'vue-i18n';
import zhCN from './zh-CN.js';
import en from './en.js';

export const LOCALES = ['zh-CN', 'en'];
const KEY = 'linli.locale';

function storedLocale() {
  try {
    const v = localStorage.getItem(KEY);
    if (LOCALES.includes(v)) return v;
  } catch {
    /* storage may be blocked; Chinese stays the default */
  }
  return 'zh-CN';
}

export const i18n = createI18n({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: false,
  fallbackWarn: false,
});

document.documentElement.lang = i18n.global.locale.value;

export function setLocale(locale) {
  if (!LOCALES.includes(locale)) return;
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
  try {
    localStorage.setItem(KEY, locale);
  } catch {
    /* ignore */
  }
}
