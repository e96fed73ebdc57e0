// One personal value sealed with AES-256-GCM under its subject's data key: a JSON envelope written
// in place of the value. The additional data binds the key id and the field's path, so a
// ciphertext moved to another field, or given another key id, fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataKey } from './port';

export interface Envelope {
  /** The envelope's version (and how a reader tells it from a plain value). */
  readonly $pd: 1;
  /** The data key's id. */
  readonly k: string;
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A value that could not be opened: tampered with, or sealed under another key. Never read as plaintext. */
export class PersonalDataError extends Error {
  override readonly name = 'PersonalDataError';
}

export const isEnvelope = (value: unknown): value is Envelope =>
  typeof value === 'object' &&
  value !== null &&
  (value as { $pd?: unknown }).$pd === 1 &&
  typeof (value as { k?: unknown }).k === 'string' &&
  typeof (value as { iv?: unknown }).iv === 'string' &&
  typeof (value as { ct?: unknown }).ct === 'string' &&
  typeof (value as { tag?: unknown }).tag === 'string';

const aad = (keyId: string, path: string): Buffer => Buffer.from(`${keyId}\n${path}`, 'utf8');

/** Seals a JSON value (a text, an attributes map) of the field at `path`; a new random IV each time. */
export const seal = (key: DataKey, path: string, value: unknown): Envelope => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(key.keyId, path));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    $pd: 1,
    k: key.keyId,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
};

/** The value inside an envelope; throws PersonalDataError when it does not authenticate. */
export const open = (key: DataKey, path: string, envelope: Envelope): unknown => {
  if (envelope.k !== key.keyId)
    throw new PersonalDataError(`${path}: sealed under key ${envelope.k}, not ${key.keyId}`);
  const iv = Buffer.from(envelope.iv, 'base64');
  const tag = Buffer.from(envelope.tag, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new PersonalDataError(`${path}: an envelope needs a ${IV_BYTES}-byte iv and a ${TAG_BYTES}-byte tag`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(key.keyId, path));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch (error) {
    throw new PersonalDataError(
      `${path}: the ciphertext under key ${envelope.k} does not authenticate (${(error as Error).message})`,
    );
  }
};
