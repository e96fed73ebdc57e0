// Small helpers every platform adapter uses: reading untyped JSON safely, comparing secrets in
// constant time, and describing a failed HTTP call.
import { createHash, timingSafeEqual } from 'node:crypto';

export type UnknownRecord = Readonly<Record<string, unknown>>;

export const isRecord = (value: unknown): value is UnknownRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const asRecord = (value: unknown): UnknownRecord | undefined => (isRecord(value) ? value : undefined);

export const asArray = (value: unknown): readonly unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);

/** A non-empty string, or undefined. */
export const asText = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** The body as JSON, or undefined when it is not JSON. */
export const parseJson = (raw: Buffer): unknown => {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};

/** A response's JSON body, or undefined when it is empty or not JSON. */
export const readBody = async (response: Response): Promise<unknown> => {
  try {
    const text = await response.text();
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
};

/** An error's name, message and cause, for a send result's reason. */
export const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
};

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares two secrets in constant time (their digests have the same length whatever theirs). */
export const sameSecret = (given: string | undefined, expected: string): boolean =>
  given !== undefined && timingSafeEqual(sha256(given), sha256(expected));

/** The base URL without trailing slashes. */
export const trimBase = (baseUrl: string): string => baseUrl.replace(/\/+$/, '');
