/**
 * Platforms: the product streams an image's OS packages come from, named by CPE. Where a distribution's advisories
 * name the CPEs each entry speaks for (`ecosystem_specific.cpes`, Red Hat's products) and its images record the
 * repositories they were built from (the inventory's `contentSets`), a source keeps the repository→CPE mapping in
 * the store, and an image is matched only with the entries of its own streams.
 */
import { distributionOf } from '../distros';
import type { Inventory } from '../index/types';
import type { PackageQuery } from './package-keys';
import { type AdvisoryReader, cursorKey } from './store';

/** What the mapping's source keeps as its cursor: the CPEs of each repository. */
export interface RepositoryPlatforms {
  repositories: Record<string, string[]>;
}

/** The stored mapping, by repository; undefined when none is stored or it cannot be read. */
export function parseRepositoryPlatforms(text: string | undefined): Map<string, string[]> | undefined {
  if (!text) return undefined;
  try {
    const { repositories } = JSON.parse(text) as Partial<RepositoryPlatforms>;
    if (typeof repositories !== 'object' || repositories === null) return undefined;
    return new Map(Object.entries(repositories).filter((entry): entry is [string, string[]] => Array.isArray(entry[1])));
  } catch {
    return undefined;
  }
}

const listed = (names: readonly string[]) => (names.length > 3 ? `${names.slice(0, 3).join(', ')}, …` : names.join(', '));

/**
 * The CPEs of the image's repositories, through the mapping its distribution's source keeps; undefined when the
 * image names no repository or none the mapping knows (then the release's default streams apply, and a warning
 * says why when there were repositories).
 */
export async function imagePlatforms(inventory: Inventory, store: AdvisoryReader, warnings: string[]): Promise<string[] | undefined> {
  const source = distributionOf(inventory.os)?.repositoryPlatforms;
  const repositories = inventory.contentSets ?? [];
  if (!source || repositories.length === 0) return undefined;
  const mapping = parseRepositoryPlatforms(await store.getCursor(cursorKey(source)));
  if (!mapping) {
    warnings.push(
      `the image names its repositories (${listed(repositories)}) but no repository mapping is loaded (source ${source}): matched with the release's main streams`,
    );
    return undefined;
  }
  const cpes = new Set(repositories.flatMap((repository) => mapping.get(repository) ?? []));
  if (cpes.size === 0) {
    warnings.push(`none of the image's repositories (${listed(repositories)}) is in the repository mapping: matched with the release's main streams`);
    return undefined;
  }
  return [...cpes].sort();
}

/** `cpe:/o:redhat:enterprise_linux:9::baseos` → vendor, product, version, update, edition, language; "" is any value. */
function partsOf(cpe: string): string[] | undefined {
  const match = /^cpe:\/[aho]:(.+)$/i.exec(cpe.trim());
  return match ? match[1].toLowerCase().split(':') : undefined;
}

const parsed = new Map<string, string[] | undefined>();

function cachedParts(cpe: string): string[] | undefined {
  if (!parsed.has(cpe)) {
    if (parsed.size >= 10_000) parsed.clear();
    parsed.set(cpe, partsOf(cpe));
  }
  return parsed.get(cpe);
}

/**
 * Whether the advisory's CPE (a pattern: absent parts match anything) names the repository's CPE. The part (`o`,
 * `a`) is not compared: Red Hat writes one stream with either (`cpe:/o:…:10.0::appstream` in its repository
 * mapping, `cpe:/o:…:9` for the whole of RHEL 9 in its VEX). A version matches its minors, as Red Hat means it
 * (`…:10` names `…:10.1::baseos`).
 */
export function cpeMatches(pattern: string, target: string): boolean {
  const want = cachedParts(pattern);
  const have = cachedParts(target);
  if (!want || !have) return false;
  return want.every((part, index) => {
    const value = have[index] ?? '';
    if (part === '' || part === '*' || part === value) return true;
    return index === 2 && value.startsWith(`${part}.`);
  });
}

/**
 * Whether an entry naming the platforms it speaks for (`ecosystem_specific.cpes`) is about the queried image: one
 * of its CPEs names one of the image's; for an image whose platforms are unknown, unless the entry is of an
 * extended stream (`extended_stream`), which only images naming it get. Entries naming no CPE are about every image.
 */
export function platformApplies(specific: Record<string, unknown> | undefined, query: Pick<PackageQuery, 'platforms'>): boolean {
  const cpes = specific?.cpes;
  if (!Array.isArray(cpes)) return true;
  const platforms = query.platforms;
  if (!platforms) return specific?.extended_stream !== true;
  const known = verdictsFor(platforms);
  for (const cpe of cpes) {
    if (typeof cpe !== 'string') continue;
    let applies = known.get(cpe);
    if (applies === undefined) known.set(cpe, (applies = platforms.some((platform) => cpeMatches(cpe, platform))));
    if (applies) return true;
  }
  return false;
}

/** Per list of image platforms (one list serves a whole match), whether each advisory CPE names one of them. */
const verdicts = new WeakMap<readonly string[], Map<string, boolean>>();

function verdictsFor(platforms: readonly string[]): Map<string, boolean> {
  let known = verdicts.get(platforms);
  if (!known) verdicts.set(platforms, (known = new Map()));
  return known;
}
