/**
 * Red Hat's repository-to-CPE mapping (`repository-to-cpe.json`: `{"data": {"<repository>": {"cpes": [...]}}}`),
 * which turns the repositories an image's content manifests name into the product CPEs of Red Hat's VEX. It runs
 * with `redhat-csaf` and keeps, as its cursor, the mapping of the repositories of RHEL streams only (see
 * streamOfCpe), without their debug and source repositories, which no image installs from: about 1,100
 * repositories and 130 KB (February 2025), one stored value.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadResumable } from '../download';
import type { RepositoryPlatforms } from '../platforms';
import { streamOfCpe } from './redhat-csaf';
import type { AdvisorySource, SourceContext, SourceOutcome } from './types';

export const REDHAT_REPOSITORY_CPE_URL = 'https://security.access.redhat.com/data/metrics/repository-to-cpe.json';
export const REDHAT_REPOSITORIES_SOURCE = 'redhat-repositories';

const PACKAGE_REPOSITORY = /^(?!.*-(?:debug|source)-).+$/;

interface MappingCursor extends RepositoryPlatforms {
  etag?: string;
  /** The mapping's own `last_updated`. */
  updated?: string;
}

function cursorOf(text: string | undefined): Partial<MappingCursor> {
  try {
    return text ? (JSON.parse(text) as Partial<MappingCursor>) : {};
  } catch {
    return {};
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The RHEL repositories of the mapping, each with its RHEL stream CPEs, by name; a repository that is not readable is noted. */
export function rhelRepositories(document: unknown, malformed: (reason: string) => void): Record<string, string[]> {
  const data = isObject(document) ? document.data : undefined;
  if (!isObject(data)) throw new Error('not a repository-to-CPE mapping: no "data" object');
  const repositories: Record<string, string[]> = {};
  for (const name of Object.keys(data).sort()) {
    const entry = data[name];
    const cpes = isObject(entry) ? entry.cpes : undefined;
    if (!Array.isArray(cpes)) {
      malformed(`${name}: no "cpes" list`);
      continue;
    }
    const rhel = [...new Set(cpes.filter((cpe): cpe is string => typeof cpe === 'string' && streamOfCpe(cpe.trim()) !== undefined).map((c) => c.trim()))];
    if (rhel.length > 0 && PACKAGE_REPOSITORY.test(name)) repositories[name] = rhel.sort();
  }
  if (Object.keys(repositories).length === 0) throw new Error('the repository-to-CPE mapping names no RHEL repository');
  return repositories;
}

async function run(context: SourceContext, url: string): Promise<SourceOutcome> {
  const previous = cursorOf(context.cursor);
  const dest = join(context.workDir, 'repository-to-cpe.json');
  const download = await downloadResumable(url, dest, {
    ifNoneMatch: previous.repositories ? previous.etag : undefined,
    fetch: context.fetch,
    signal: context.signal,
    onProgress: context.onDownloadProgress,
  });
  if (download.status === 'not-modified') return { status: 'not-modified' };
  try {
    let document: unknown;
    try {
      document = JSON.parse(await readFile(dest, 'utf8'));
    } catch (err) {
      throw new Error(`${url}: not JSON: ${(err as Error).message}`);
    }
    const repositories = rhelRepositories(document, (reason) => context.malformed(url, reason));
    const updated = isObject(document) && typeof document.last_updated === 'string' ? document.last_updated : undefined;
    const cursor = JSON.stringify({ etag: download.etag, updated, repositories } satisfies MappingCursor);
    return cursor === context.cursor ? { status: 'not-modified' } : { status: 'updated', cursor };
  } finally {
    await rm(dest, { force: true });
  }
}

export interface RedhatRepositoriesSourceOptions {
  /** Where the mapping is served (default {@link REDHAT_REPOSITORY_CPE_URL}). */
  url?: string;
}

/** `redhat-repositories`: writes no advisories; its cursor is the mapping the matcher reads for RHEL images. */
export function redhatRepositoriesSource(options: RedhatRepositoriesSourceOptions = {}): AdvisorySource {
  const url = options.url ?? REDHAT_REPOSITORY_CPE_URL;
  return { name: REDHAT_REPOSITORIES_SOURCE, ecosystems: [], run: (context) => run(context, url) };
}
