// The pages' language: zh-CN or en, from the visitor's or agent's choice (kept in localStorage)
// or else the browser's languages. Strings live in one catalogue per language
// (./locales/<lang>.js, sections `common`, `widget`, `console`, `admin`) and are looked up with
// i18next (served as it ships, no build step). Markup says what to translate with
// `data-i18n="section.key"` (text), `data-i18n-placeholder`, `data-i18n-aria-label`,
// `data-i18n-title`; code calls `t('section.key', {name})`.

import i18next from '/vendor/i18next.js';
import en from './locales/en.js';
import zhCN from './locales/zh-CN.js';

/** The languages the pages speak, in the order the switch lists them. */
export const LANGUAGES = /** @type {const} */ (['zh-CN', 'en']);
/** Each language's own name, as the switch shows it. */
export const LANGUAGE_NAMES = { 'zh-CN': '中文', en: 'English' };
const STORAGE_KEY = 'cschat.language';

/**
 * The language to use: a saved choice if it is one we speak, else the first of the browser's
 * languages we speak (any `zh*` is zh-CN, any `en*` is en), else English.
 * @param {string | null} saved @param {readonly string[]} browser
 * @returns {'zh-CN' | 'en'}
 */
export const pickLanguage = (saved, browser) => {
  if (saved === 'zh-CN' || saved === 'en') return saved;
  for (const tag of browser) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
};

const savedLanguage = () => {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
};

await i18next.init({
  lng: pickLanguage(savedLanguage(), navigator.languages ?? [navigator.language]),
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  // The pages set text with textContent, never innerHTML: nothing to escape here.
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18next.language;

/**
 * The string of `key` in the current language, with `{{name}}` placeholders filled from
 * `values` (`count` picks the plural form).
 * @param {string} key @param {Record<string, unknown>} [values] @returns {string}
 */
export const t = (key, values) => /** @type {string} */ (i18next.t(key, values));

/** The current language. @returns {'zh-CN' | 'en'} */
export const language = () => /** @type {'zh-CN' | 'en'} */ (i18next.language);

/** @type {Array<() => void>} */
const listeners = [];
/** Calls `listener` after every change of language (to redraw what code wrote). @param {() => void} listener */
export const onLanguageChange = (listener) => {
  listeners.push(listener);
};

/** Translates the marked elements under `root` (the whole page by default). @param {ParentNode} [root] */
export const translatePage = (root = document) => {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n'));
  for (const [attribute, name] of [
    ['data-i18n-placeholder', 'placeholder'],
    ['data-i18n-aria-label', 'aria-label'],
    ['data-i18n-title', 'title'],
  ]) {
    for (const el of root.querySelectorAll(`[${attribute}]`)) el.setAttribute(name, t(el.getAttribute(attribute)));
  }
};

/** Switches to `lng`, remembers the choice and redraws. @param {'zh-CN' | 'en'} lng */
export const setLanguage = async (lng) => {
  try {
    localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  await i18next.changeLanguage(lng);
  document.documentElement.lang = lng;
  translatePage();
  for (const listener of listeners) listener();
};

/**
 * Makes `select` the page's language switch: one option per language, the current one chosen.
 * @param {HTMLSelectElement} select
 */
export const bindLanguageSwitch = (select) => {
  select.replaceChildren(
    ...LANGUAGES.map((lng) => {
      const option = document.createElement('option');
      option.value = lng;
      option.textContent = LANGUAGE_NAMES[lng];
      option.lang = lng;
      return option;
    }),
  );
  select.value = language();
  select.addEventListener('change', () => void setLanguage(/** @type {'zh-CN' | 'en'} */ (select.value)));
};

/**
 * A time or date as people of the current language write it.
 * @param {string | Date} at @param {Intl.DateTimeFormatOptions} [options] @returns {string}
 */
export const formatTime = (at, options = { hour: '2-digit', minute: '2-digit' }) =>
  new Intl.DateTimeFormat(language(), options).format(typeof at === 'string' ? new Date(at) : at);

translatePage();
