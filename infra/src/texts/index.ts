// The server's own texts (what the bot says besides the company's answers), one catalogue per
// company language, chosen by the company's `language` setting outside the domain: the bot stage
// picks the catalogue and passes the words on. `Texts` is the English catalogue's shape, so every
// other language must have the same keys (a missing one fails the typecheck), and a unit test
// checks that each text has the same `{{placeholders}}` in both.
import type { CompanyLanguage } from '../company-config/codecs';
import { en } from './en';
import { zhCN } from './zh-CN';

export type TextKey = keyof typeof en;
export type Texts = { readonly [K in TextKey]: string };

export const TEXTS: { readonly [L in CompanyLanguage]: Texts } = { 'zh-CN': zhCN, en };

/** The placeholders (`{{name}}`) of a text, sorted. */
export const placeholdersOf = (text: string): string[] => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!).sort();

/** The text `key` in `language`, its `{{name}}` placeholders filled from `values`. */
export const say = (language: CompanyLanguage, key: TextKey, values: Readonly<Record<string, string>> = {}): string =>
  TEXTS[language][key].replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
