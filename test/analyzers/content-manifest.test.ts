import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAnalyzers, selectorFor } from '../../lib/analyzers';
import { contentManifestAnalyzer, parseContentManifest } from '../../lib/analyzers/content-manifest';
import type { AnalysisResult } from '../../lib/analyzers/types';
import type { Descriptor, ImageReference } from '../../lib/image/types';
import { indexImage, type IndexedImage } from '../../lib/index/inventory';
import { isLayerContentError, readLayer } from '../../lib/layers';
import { generatedLayer, type GeneratedEntry } from '../layers/generated-layers';
import { JsonLayerCache, MemorySource, resolvedFrom } from '../support/memory-layers';

/** Real content manifests and a derived one; see data/content-manifest/PROVENANCE.md. */
const DATA = join(__dirname, 'data/content-manifest');
const UBI8_MINIMAL = readFileSync(join(DATA, 'ubi8-minimal-container-8.5-218.json'), 'utf8');
const BASEOS_ONLY = readFileSync(join(DATA, 'ubi8-minimal-baseos-only.derived.json'), 'utf8');
const REPLACED = readFileSync(join(DATA, 'ubi8-container-8.7-1112.json.txt'), 'utf8');

const MANIFEST = 'root/buildinfo/content_manifests/ubi8-minimal-container-8.5-218.json';

function analyze(content: string, path = MANIFEST): AnalysisResult {
  const buffer = Buffer.from(content);
  return contentManifestAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

describe('content manifest paths', () => {
  it('wants the JSON files of the directories OSBS and Konflux write them to', () => {
    for (const path of [MANIFEST, 'usr/share/buildinfo/content_manifests/ubi9-container-9.4-1123.json', 'usr/share/buildinfo/content-sets.json']) {
      expect([path, contentManifestAnalyzer.wants(path)]).toEqual([path, true]);
      expect(selectorFor(defaultAnalyzers()).limitFor(path)).toBe(16 * 1024 * 1024);
    }
  });

  it('leaves out other files there and look-alikes elsewhere', () => {
    for (const path of [
      'root/buildinfo/Dockerfile-ubi8-minimal-8.5-218',
      'root/buildinfo/content_manifests/README',
      'root/buildinfo/content_manifests/x/nested.json',
      'root/buildinfo/x.json',
      'opt/root/buildinfo/content_manifests/a.json',
      'content_manifests/a.json',
    ]) {
      expect([path, contentManifestAnalyzer.wants(path)]).toEqual([path, false]);
    }
  });
});

describe('content manifests', () => {
  it("a UBI 8 minimal image's manifest (Trivy's test data): its BaseOS and AppStream repositories", () => {
    expect(analyze(UBI8_MINIMAL)).toEqual({
      evidence: [{ kind: 'content-sets', contentSets: ['rhel-8-for-x86_64-appstream-rpms', 'rhel-8-for-x86_64-baseos-rpms'] }],
    });
    expect(analyze(BASEOS_ONLY)).toEqual({ evidence: [{ kind: 'content-sets', contentSets: ['rhel-8-for-x86_64-baseos-rpms'] }] });
  });

  it('a manifest a hardening tool replaced with a line of text (claircore’s test data) is a note, not a damaged scan', () => {
    const path = 'root/buildinfo/content_manifests/ubi8-container-8.7-1112.json';
    const result = analyze(REPLACED, path);
    expect(result.evidence).toEqual([]);
    expect(result.notes).toEqual([
      expect.stringMatching(/^root\/buildinfo\/content_manifests\/ubi8-container-8\.7-1112\.json: not a content manifest \(not JSON: /),
    ]);
    expect(result.unreadable).toBeUndefined();
  });

  it('names nothing without content_sets, skips entries that are no repository name, and reads each name once', () => {
    expect(analyze('{"image_contents": {"dependencies": []}}')).toEqual({ evidence: [] });
    expect(analyze('')).toEqual({ evidence: [] });
    expect(parseContentManifest('[]')).toEqual({ contentSets: [], problems: ['not a content manifest (not a JSON object)'] });
    expect(parseContentManifest('{"content_sets": "rhel-8-for-x86_64-baseos-rpms"}')).toEqual({ contentSets: [], problems: ['content_sets is not a list'] });
    expect(parseContentManifest('{"content_sets": ["rhel-8-for-x86_64-baseos-rpms", 7, "two words", "rhel-8-for-x86_64-baseos-rpms"]}')).toEqual({
      contentSets: ['rhel-8-for-x86_64-baseos-rpms'],
      problems: ['content_sets[1] is not a repository name; skipped', 'content_sets[2] is not a repository name; skipped'],
    });
  });
});

describe('content sets in the inventory, layer by layer', () => {
  const reference: ImageReference = { registry: 'registry.test', remote: 'team/app', tag: 'v1', fullName: 'registry.test/team/app:v1' };
  const RHEL8 = 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="8.5"\n';
  const APP_MANIFEST = 'root/buildinfo/content_manifests/app-container-1.0-1.json';

  async function scan(layers: GeneratedEntry[][]): Promise<IndexedImage> {
    const source = new MemorySource();
    const descriptors: Descriptor[] = [];
    for (const entries of layers) descriptors.push(source.add(await generatedLayer(entries)));
    const resolved = resolvedFrom(source, descriptors, reference);
    const ports = { source, readLayer, layerCache: new JsonLayerCache(), analyzers: defaultAnalyzers(), isContentError: isLayerContentError };
    return indexImage(resolved, ports, { historyIndex: descriptors.map((_, index) => index), concurrency: 1 });
  }

  const base: GeneratedEntry[] = [
    { name: 'etc/os-release', content: RHEL8 },
    { name: MANIFEST, content: UBI8_MINIMAL },
  ];

  it("unites the repositories of every layer's manifest", async () => {
    // Derived: a layer built on the base with a manifest of its own naming one more repository.
    const app = JSON.stringify({ content_sets: ['rhel-8-for-x86_64-baseos-rpms', 'codeready-builder-for-rhel-8-x86_64-rpms'] });
    const image = await scan([base, [{ name: APP_MANIFEST, content: app }]]);
    expect(image.inventory.contentSets).toEqual([
      'codeready-builder-for-rhel-8-x86_64-rpms',
      'rhel-8-for-x86_64-appstream-rpms',
      'rhel-8-for-x86_64-baseos-rpms',
    ]);
    expect(image.inventory.warnings).toEqual([]);
  });

  it("a manifest a higher layer deletes, or replaces with one it cannot read, names nothing: today's matching then", async () => {
    const deleted = await scan([base, [{ name: 'root/buildinfo/content_manifests/.wh.ubi8-minimal-container-8.5-218.json', content: '' }]]);
    expect(deleted.inventory.contentSets).toBeUndefined();
    const replaced = await scan([base, [{ name: MANIFEST, content: REPLACED }]]);
    expect(replaced.inventory.contentSets).toBeUndefined();
    expect(replaced.inventory.partial).toBe(false);
    expect(replaced.inventory.warnings).toEqual([
      expect.stringMatching(/^content-manifest: root\/buildinfo\/content_manifests\/ubi8-minimal-container-8\.5-218\.json: not a content manifest/),
    ]);
  });

  it('an image without manifests has no content sets', async () => {
    expect((await scan([[{ name: 'etc/os-release', content: RHEL8 }]])).inventory.contentSets).toBeUndefined();
  });
});
