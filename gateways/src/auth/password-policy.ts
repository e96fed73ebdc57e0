// What a password set through the API must be (PROTOCOL "Security", issue 22): at least 10 characters,
// not the username, and not one of the ~49,000 passwords most often found in leaks (the list zxcvbn-ts
// ships in @zxcvbn-ts/language-common). The demo seed (`DEMO_PASSWORD`, default `demo`) is not set
// through the API and is not checked here.
import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 10;

/** Lower-cased, as the list is. Built on first use: the list is a 49,000-word decompression. */
let common: ReadonlySet<string> | undefined;
const commonPasswords = (): ReadonlySet<string> =>
  (common ??= new Set(dictionary['passwords-common'].map((word) => word.toLowerCase())));

/** Characters as a person counts them (code points), not UTF-16 units. */
const lengthOf = (text: string): number => [...text].length;

/**
 * Why `password` may not be set for `username`, as the rule's own words, or undefined when it may. The
 * username is compared case-insensitively; a password that only contains it is allowed (PROTOCOL says "not
 * the username", and a short username such as `al` would otherwise rule out many good passwords).
 */
export const passwordProblem = (password: string, username: string | undefined): string | undefined => {
  if (lengthOf(password) < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (username !== undefined && lower === username.toLowerCase()) return 'must not be the username';
  if (commonPasswords().has(lower)) return 'is one of the most common passwords';
  return undefined;
};
