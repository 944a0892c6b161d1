/** Wraps an iterator so `onEnd` runs exactly once, however it ends (done, error, or return()). */
export function counted<T>(
  it: AsyncIterableIterator<T>,
  onStart: () => void,
  onEnd: () => void,
  onError: (e: unknown) => void = () => {},
): AsyncIterableIterator<T> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  onStart();
  return {
    async next() {
      try {
        const r = await it.next();
        if (r.done) end();
        return r;
      } catch (e) {
        end();
        onError(e);
        throw e;
      }
    },
    async return(v?: unknown) {
      end();
      return (await it.return?.(v)) ?? { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
