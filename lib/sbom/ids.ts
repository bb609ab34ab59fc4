/**
 * Makes every id unique: the first occurrence keeps its id, repeats get `<separator><n>` (n from 2) avoiding every
 * id in the input and in `reserved`, so an id never changes because a later one repeats.
 */
export function uniqueIds(ids: readonly string[], separator: string, reserved: Iterable<string> = []): string[] {
  const taken = new Set([...reserved, ...ids]);
  const seen = new Set<string>(reserved);
  return ids.map((id) => {
    if (!seen.has(id)) {
      seen.add(id);
      return id;
    }
    let n = 2;
    while (taken.has(`${id}${separator}${n}`)) n++;
    const unique = `${id}${separator}${n}`;
    taken.add(unique);
    return unique;
  });
}
