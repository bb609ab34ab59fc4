/**
 * Results derived from one advisory list, kept with the list for as long as it lives. A store that caches its
 * lookups (CachedAdvisoryStore) answers the same array for a package until the data version moves, so a scan
 * of packages met before reuses what was worked out for them; a list read anew is a new array and starts empty.
 * Bounded: at most PER_LIST results per list, and lists are held only by whoever holds them (the store's LRU).
 */
const PER_LIST = 4;

const memo = new WeakMap<object, Map<string, unknown>>();

/** The result for `key` worked out from `list` before, else `compute()`, kept for next time. */
export function rememberedFor<T>(list: object, key: string, compute: () => T): T {
  let results = memo.get(list);
  const known = results?.get(key);
  if (known !== undefined) return known as T;
  const value = compute();
  if (!results) memo.set(list, (results = new Map()));
  // The oldest result of the list makes room: an image rebuilt with newer packages asks for other versions.
  if (results.size >= PER_LIST) results.delete(results.keys().next().value!);
  results.set(key, value);
  return value;
}
