// Agents' passwords as scrypt hashes (memory-hard, in Node itself), encoded `scrypt$N$r$p$saltB64$hashB64` so that
// a hash carries its parameters: raising the cost later leaves the hashes made before it valid.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParameters {
  /** CPU and memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
}

/**
 * 2^15 × 8 × 128 bytes = 32 MiB of memory, three times over (p = 3): some 160 ms a hash on a 2-core machine.
 * One of the settings OWASP's Password Storage Cheat Sheet lists as its minimum for scrypt (N=2^17, r=8, p=1,
 * or as strong with less memory: N=2^16 p=2, N=2^15 p=3, ...); p = 1 at N = 2^15 was below it. 32 MiB rather
 * than 128 MiB keeps concurrent logins affordable on a small server.
 */
export const SCRYPT_PARAMETERS: ScryptParameters = { N: 2 ** 15, r: 8, p: 3 };

/** Longer passwords are refused: scrypt would hash any length, but a login must not take any amount of work. */
export const MAX_PASSWORD_BYTES = 1024;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** A password that is empty or longer than `MAX_PASSWORD_BYTES` when encoded as UTF-8. */
export class PasswordRejectedError extends Error {
  override readonly name = 'PasswordRejectedError';
  readonly code = 'password_rejected';
  constructor() {
    super(`a password has 1 to ${MAX_PASSWORD_BYTES} bytes`);
  }
}

const acceptable = (plain: string): boolean =>
  plain.length > 0 && Buffer.byteLength(plain, 'utf8') <= MAX_PASSWORD_BYTES;

/** Room for scrypt's working memory (128·N·r bytes plus its buffers), which Node caps at 32 MiB by default. */
const maxmemFor = ({ N, r, p }: ScryptParameters): number => 128 * r * (N + p + 2) + 1024 * 1024;

const derive = (plain: string, salt: Buffer, keyBytes: number, parameters: ScryptParameters): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(plain, salt, keyBytes, { ...parameters, maxmem: maxmemFor(parameters) }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });

/** Hashes a password with a fresh 16-byte salt; refuses (PasswordRejectedError) an empty or over-long one. */
export const hashPassword = async (
  plain: string,
  parameters: ScryptParameters = SCRYPT_PARAMETERS,
): Promise<string> => {
  if (!acceptable(plain)) throw new PasswordRejectedError();
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, parameters);
  const { N, r, p } = parameters;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
};

const ENCODED = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

interface StoredHash {
  readonly parameters: ScryptParameters;
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** Base64 that decodes and encodes back to itself (Buffer.from alone skips what it cannot read). */
const strictBase64 = (text: string): Buffer | undefined => {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
};

/**
 * Reads an encoded hash, or `undefined` when it is not one this module could have made. The bounds keep a
 * corrupted row from making a login allocate gigabytes.
 */
const parse = (encoded: string): StoredHash | undefined => {
  const match = ENCODED.exec(encoded);
  if (match === null) return undefined;
  const [, n, r, p, salt, key] = match;
  const parameters = { N: Number(n), r: Number(r), p: Number(p) };
  const saltBytes = strictBase64(salt ?? '');
  const keyBytes = strictBase64(key ?? '');
  const valid =
    parameters.N >= 2 &&
    parameters.N <= 2 ** 20 &&
    (parameters.N & (parameters.N - 1)) === 0 &&
    parameters.r >= 1 &&
    parameters.r <= 32 &&
    parameters.p >= 1 &&
    parameters.p <= 16 &&
    saltBytes !== undefined &&
    saltBytes.length >= 8 &&
    keyBytes !== undefined &&
    keyBytes.length >= 16 &&
    keyBytes.length <= 64;
  return valid ? { parameters, salt: saltBytes, key: keyBytes } : undefined;
};

/** Stands in for an unknown username's hash, so that a login for one takes as long as a wrong password. */
const UNKNOWN_USER_SALT = Buffer.alloc(SALT_BYTES);

/**
 * Whether `plain` is the password of `encoded`, compared in constant time. `undefined` (no such agent) does the
 * same work and answers false; a malformed encoding and a refused password answer false.
 */
export const verifyPassword = async (plain: string, encoded: string | undefined): Promise<boolean> => {
  if (!acceptable(plain)) return false;
  if (encoded === undefined) {
    await derive(plain, UNKNOWN_USER_SALT, KEY_BYTES, SCRYPT_PARAMETERS);
    return false;
  }
  const stored = parse(encoded);
  if (stored === undefined) return false;
  const key = await derive(plain, stored.salt, stored.key.length, stored.parameters);
  return timingSafeEqual(key, stored.key);
};
