/**
 * A bounded pipeline stage: maps an async source through `fn`, working on at most `ahead` items beyond the
 * one the consumer holds, in order. Memory stays flat (the source is pulled only when there is room) while
 * stages overlap: augmenting chunk k+1 runs while the teacher works on chunk k.
 */
export async function* mapAhead<T, R>(
  source: AsyncIterable<T>,
  fn: (item: T) => Promise<R>,
  ahead = 1,
): AsyncGenerator<R> {
  const it = source[Symbol.asyncIterator]();
  const inflight: Promise<IteratorResult<R>>[] = [];
  let exhausted = false;
  // serialise pulls from the source: async generators must not be advanced concurrently
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<R>> => {
    const p = pulling.then(async (): Promise<IteratorResult<R>> => {
      if (exhausted) return { done: true, value: undefined };
      const next = await it.next();
      if (next.done) {
        exhausted = true;
        return { done: true, value: undefined };
      }
      return { done: false, value: await fn(next.value) };
    });
    pulling = p.catch(() => undefined);
    return p;
  };
  try {
    for (let i = 0; i <= ahead; i++) inflight.push(pull());
    for (;;) {
      const r = await inflight.shift()!;
      if (r.done) return;
      inflight.push(pull());
      yield r.value;
    }
  } finally {
    // let queued work settle before closing the source, so nothing runs after the consumer stopped
    await Promise.allSettled(inflight);
    await it.return?.(undefined);
  }
}
