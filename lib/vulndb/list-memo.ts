/**
 * Results derived from one advisory list, kept with the list for as long as it lives. A store that caches its
 * lookups (CachedAdvisoryStore) answers the same array for a package until the data version moves, so a scan
 * of packages met before reuses what was worked out for them; a list read anew is a new array and starts empty.
 * Bounded: at most PER_LIST results per list, and lists are held only by whoever holds them (the store's LRU).
 */
const PER_LIST = 4;

/** A list's results: the first one alone (most lists are only ever asked one question), then a map of them. */
type Results = { key: string; value: unknown } | Map<string, unknown>;

const memo = new WeakMap<object, Results>();

/** The result for `key` worked out from `list` before, else `compute()`, kept for next time. */
export function rememberedFor<T>(list: object, key: string, compute: () => T): T {
  const results = memo.get(list);
  if (results instanceof Map) {
    const known = results.get(key);
    if (known !== undefined) return known as T;
  } else if (results?.key === key && results.value !== undefined) {
    return results.value as T;
  }
  const value = compute();
  if (!results) {
    memo.set(list, { key, value });
    return value;
  }
  let map: Map<string, unknown>;
  if (results instanceof Map) map = results;
  else memo.set(list, (map = new Map([[results.key, results.value]])));
  // The oldest result of the list makes room: an image rebuilt with newer packages asks for other versions.
  if (map.size >= PER_LIST) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}
