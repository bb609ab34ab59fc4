/**
 * `fn` remembered by its text argument, for what a match asks thousands of times of the same few texts (versions,
 * ecosystem spellings). At most `limit` results are kept (then all are dropped: the bound only guards against odd
 * data); a call that throws keeps nothing, so it throws every time, as it did.
 */
export function memoizedByText<T extends object | string>(fn: (text: string) => T, limit = 4096): (text: string) => T {
  const known = new Map<string, T>();
  return (text) => {
    let result = known.get(text);
    if (result === undefined) {
      result = fn(text);
      if (known.size >= limit) known.clear();
      known.set(text, result);
    }
    return result;
  };
}
