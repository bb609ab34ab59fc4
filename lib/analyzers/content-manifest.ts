/**
 * Red Hat's image content manifests: the build (OSBS, Konflux) writes one JSON file per image layer it builds, whose
 * `content_sets` name the repositories the layer's packages came from (`rhel-9-for-x86_64-baseos-rpms`,
 * `rhel-8-for-x86_64-appstream-eus-rpms__8_DOT_8`). The matcher turns them into the products Red Hat's advisories
 * name. A manifest that cannot be read is a note: the image is then matched as one without manifests.
 */
import type { ImagePath, LayerFile } from '../layers/types';
import { type HintedAnalyzer, parentDir } from './path-hints';
import type { AnalysisResult } from './types';

/** Where builds put them: OSBS under /root/buildinfo, Konflux (and RHCOS) under /usr/share/buildinfo. */
const MANIFEST_DIRS: readonly ImagePath[] = ['root/buildinfo/content_manifests', 'usr/share/buildinfo/content_manifests', 'usr/share/buildinfo'];
const DIRS = new Set(MANIFEST_DIRS);
/** A manifest also lists the image's other contents (purls); large ones are a few hundred KiB. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MAX_NAME_LENGTH = 256;
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function isContentManifest(path: ImagePath): boolean {
  return path.endsWith('.json') && DIRS.has(parentDir(path));
}

export interface ContentManifest {
  /** Sorted, each once. */
  contentSets: string[];
  /** Why the file, or some of its names, could not be read. */
  problems: string[];
}

/** The repositories a content manifest names; a manifest without `content_sets` names none. */
export function parseContentManifest(text: string): ContentManifest {
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return { contentSets: [], problems: [`not a content manifest (not JSON: ${(error as Error).message})`] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { contentSets: [], problems: ['not a content manifest (not a JSON object)'] };
  const listed = (json as { content_sets?: unknown }).content_sets;
  if (listed === undefined) return { contentSets: [], problems: [] };
  if (!Array.isArray(listed)) return { contentSets: [], problems: ['content_sets is not a list'] };
  const names = new Set<string>();
  const problems: string[] = [];
  listed.forEach((entry: unknown, index) => {
    const name = typeof entry === 'string' ? entry.trim() : '';
    if (name.length <= MAX_NAME_LENGTH && REPOSITORY.test(name)) names.add(name);
    else problems.push(`content_sets[${index}] is not a repository name; skipped`);
  });
  return { contentSets: [...names].sort(), problems };
}

/** The repositories named by Red Hat content manifests, per manifest file (a higher layer's file replaces a lower one's). */
export const contentManifestAnalyzer: HintedAnalyzer = {
  name: 'content-manifest',
  version: 1,
  maxFileSize: MAX_MANIFEST_BYTES,
  pathHints: { childrenOf: MANIFEST_DIRS },
  wants: isContentManifest,
  analyze(file: LayerFile): AnalysisResult {
    // An empty file is what a dangling or cross-layer symlink leaves.
    if (file.content.length === 0) return { evidence: [] };
    const { contentSets, problems } = parseContentManifest(file.content.toString('utf8'));
    const evidence: AnalysisResult['evidence'] = contentSets.length > 0 ? [{ kind: 'content-sets', contentSets }] : [];
    return problems.length > 0 ? { evidence, notes: problems.map((problem) => `${file.path}: ${problem}`) } : { evidence };
  },
};
