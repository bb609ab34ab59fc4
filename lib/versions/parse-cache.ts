/**
 * Versions parsed before, by text, for schemes whose `compare` parses both sides: a match compares each installed
 * version with every version its advisories name, and advisories share versions. At most `limit` are kept (then
 * all are dropped); what fails to parse is not kept, so it throws every time, as it did.
 */
export function parseCache<T extends object | string>(parse: (version: string) => T, limit = 4096): (version: string) => T {
  const known = new Map<string, T>();
  return (version) => {
    let parsed = known.get(version);
    if (parsed === undefined) {
      parsed = parse(version);
      if (known.size >= limit) known.clear();
      known.set(version, parsed);
    }
    return parsed;
  };
}
