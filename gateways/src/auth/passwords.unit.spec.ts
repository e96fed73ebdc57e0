import { scrypt } from 'node:crypto';
import {
  hashPassword,
  MAX_PASSWORD_BYTES,
  PasswordRejectedError,
  SCRYPT_PARAMETERS,
  verifyPassword,
} from './passwords';

const ENCODED = /^scrypt\$32768\$8\$3\$([A-Za-z0-9+/]{22}==)\$([A-Za-z0-9+/]{43}=)$/;

describe('password hashes', () => {
  it('hashes with scrypt N=2^15, r=8, p=3 and a 16-byte salt, encoding the parameters', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    expect(encoded).toMatch(ENCODED);
    expect(await verifyPassword('correct horse battery staple', encoded)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', encoded)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', encoded)).toBe(false);
  });

  it('is memory-hard: a hash needs its 32 MiB, and scrypt refuses to make one in 16 MiB', async () => {
    const { N, r, p } = SCRYPT_PARAMETERS;
    expect(128 * N * r).toBe(32 * 1024 * 1024);
    // OWASP's minimum for scrypt, as one of the settings its cheat sheet lists as equally strong.
    expect([N, r, p]).toEqual([2 ** 15, 8, 3]);
    const derive = (maxmem: number) =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt('pw', 'salt-salt-salt-1', 32, { N, r, p, maxmem }, (error, key) =>
          error === null ? resolve(key) : reject(error),
        ),
      );
    await expect(derive(16 * 1024 * 1024)).rejects.toThrow(/memory limit exceeded/);
    await expect(derive(128 * r * (N + p + 2) + 1024 * 1024)).resolves.toHaveLength(32);
  });

  it('salts every hash anew', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(a?.split('$')[4]).not.toBe(b?.split('$')[4]);
  });

  it('verifies with the parameters a hash names, so that raising the cost keeps old hashes valid', async () => {
    const cheaper = await hashPassword('pw', { N: 2 ** 10, r: 8, p: 1 });
    expect(cheaper.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('pw', cheaper)).toBe(true);
    expect(await verifyPassword('px', cheaper)).toBe(false);
  });

  it('takes any Unicode, up to 1024 bytes of UTF-8', async () => {
    const longest = 'é'.repeat(MAX_PASSWORD_BYTES / 2);
    const encoded = await hashPassword(longest);
    expect(await verifyPassword(longest, encoded)).toBe(true);
    expect(await verifyPassword('密码🔑', await hashPassword('密码🔑'))).toBe(true);
  });

  it('refuses an empty or over-long password, and never verifies one', async () => {
    await expect(hashPassword('')).rejects.toBeInstanceOf(PasswordRejectedError);
    await expect(hashPassword('x'.repeat(MAX_PASSWORD_BYTES + 1))).rejects.toBeInstanceOf(PasswordRejectedError);
    await expect(hashPassword('é'.repeat(MAX_PASSWORD_BYTES / 2) + 'x')).rejects.toBeInstanceOf(PasswordRejectedError);
    const encoded = await hashPassword('pw');
    expect(await verifyPassword('', encoded)).toBe(false);
    expect(await verifyPassword('x'.repeat(MAX_PASSWORD_BYTES + 1), encoded)).toBe(false);
  });

  it('answers false for an unknown agent (no hash), after the same work', async () => {
    expect(await verifyPassword('anything', undefined)).toBe(false);
  });

  it('answers false for malformed or altered encodings', async () => {
    const encoded = await hashPassword('pw');
    const [, n, r, p, salt, key] = encoded.split('$') as [string, string, string, string, string, string];
    const flipped = Buffer.from(key, 'base64');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const malformed = [
      '',
      'pw',
      'scrypt',
      `bcrypt$${n}$${r}$${p}$${salt}$${key}`,
      `scrypt$${n}$${r}$${p}$${salt}`,
      `scrypt$${n}$${r}$${p}$${salt}$${key}$extra`,
      `scrypt$1000$${r}$${p}$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 21}$${r}$${p}$${salt}$${key}`, // N beyond the bound
      `scrypt$${n}$0$${p}$${salt}$${key}`,
      `scrypt$${n}$${r}$0$${salt}$${key}`,
      `scrypt$${n}$${r}$${p}$$${key}`,
      `scrypt$${n}$${r}$${p}$${salt}$`,
      `scrypt$${n}$${r}$${p}$${salt}$${key.replace(/=+$/, '')}`, // not canonical base64
      `scrypt$${n}$${r}$${p}$${salt}$${key.slice(0, 8)}`, // a key too short to mean anything
      `scrypt$$${n}$${r}$${p}$${salt}$${key}`, // an empty field
      `scrypt$${n}$${r}$${p}$${salt}$${flipped.toString('base64')}`,
    ];
    for (const bad of malformed) expect([bad, await verifyPassword('pw', bad)]).toEqual([bad, false]);
  });
});
