// Groups what an async iterator has ready into arrays: the first item is awaited, then items
// keep being taken while they come without waiting for I/O (a store's read batch), up to `max`.
export async function* batches<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  const idle = Symbol('idle');
  let pending = iterator.next();
  for (;;) {
    const first = await pending;
    if (first.done === true) return;
    const batch = [first.value];
    pending = iterator.next();
    while (batch.length < max) {
      const next = await Promise.race([pending, new Promise<typeof idle>((resolve) => setImmediate(resolve, idle))]);
      if (next === idle) break;
      if (next.done === true) {
        yield batch;
        return;
      }
      batch.push(next.value);
      pending = iterator.next();
    }
    yield batch;
  }
}
