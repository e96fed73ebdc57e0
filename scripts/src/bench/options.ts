// Checks of the benchmarks' numeric options (parsed with node:util parseArgs, as the other CLIs).

export const positiveNumber = (name: string, value: string | undefined, fallback: number): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
};

export const wholeNumber = (name: string, value: string | undefined, fallback: number, min = 1): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be a whole number of at least ${min}, got "${value}"`);
  return n;
};

/** "1,8,32": whole numbers of at least 1. */
export const wholeNumbers = (name: string, value: string | undefined, fallback: readonly number[]): number[] => {
  const list = value === undefined ? [...fallback] : value.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--${name} takes whole numbers separated by commas, e.g. ${fallback.join(',')}; got "${value}"`);
  return list;
};
