// Events read back are lifted to the current shape before they are decoded: each upcaster takes
// one event type from version n to n + 1, so old events still load after a change of shape.
import { isLeft, left, type Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { invalidPaths } from './codecs';

export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** Per event type, the upcaster from each old version to the next. */
export type Upcasters = Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;

export const upcast = (type: string, data: Record<string, unknown>, upcasters: Upcasters): Record<string, unknown> => {
  let current: Record<string, unknown> = { ...data, type };
  const steps = upcasters[type] ?? {};
  for (;;) {
    const version = typeof current['v'] === 'number' ? current['v'] : 0;
    const step = steps[version];
    if (step === undefined) return current;
    current = { ...step(current), type, v: version + 1 };
  }
};

export interface EventDecodeFailure {
  readonly type: string;
  readonly message: string;
}

/** Upcasts and decodes one stored event; the failure says which paths were wrong. */
export const decodeEvent =
  <E>(codec: t.Decoder<unknown, E>, upcasters: Upcasters = {}) =>
  (type: string, data: Record<string, unknown>): Either<EventDecodeFailure, E> => {
    const decoded = codec.decode(upcast(type, data, upcasters));
    if (!isLeft(decoded)) return decoded;
    return left({ type, message: `cannot decode ${type}: invalid ${invalidPaths(decoded.left)}` });
  };
