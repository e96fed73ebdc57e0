import { isStorableText, isStorableValue, storableText } from './text';

describe('storable text', () => {
  it('is text without a NUL character or an unpaired surrogate', () => {
    for (const good of ['', 'hello', '中文', '🙂', 'a🙂b', '\\u0000', '\ufffd', '\ufeff'])
      expect([good, isStorableText(good)]).toEqual([good, true]);
    for (const bad of ['\u0000', 'a\u0000', '\ud800', 'x\udc00', '\udbffx', '🙂'.slice(0, 1), '🙂'.slice(1)])
      expect([bad, isStorableText(bad)]).toEqual([bad, false]);
  });

  it('replaces what cannot be stored, and nothing else', () => {
    expect(storableText('a\u0000b\ud800c🙂\udc00')).toBe('a\ufffdb\ufffdc🙂\ufffd');
    expect(storableText('中文 🙂')).toBe('中文 🙂');
  });

  it('checks every string and key of a JSON value, at any depth', () => {
    expect(isStorableValue({ a: ['x', { b: 'y' }], c: 1, d: null, e: true })).toBe(true);
    expect(isStorableValue({ a: ['x', { b: 'y\u0000' }] })).toBe(false);
    expect(isStorableValue({ 'k\ud800': 1 })).toBe(false);
    expect(isStorableValue(undefined)).toBe(true);
    expect(isStorableValue(Buffer.from([0]))).toBe(true);
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    expect(isStorableValue(deep)).toBe(false);
  });
});
