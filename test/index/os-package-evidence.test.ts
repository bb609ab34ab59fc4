import { createReadStream, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultAnalyzers } from '../../lib/analyzers';
import { createScanPorts, SCANNER } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { copyrightLicenses } from '../../lib/analyzers/deb822';
import type { Descriptor, ImageReference, ImageSource, ResolvedImage } from '../../lib/image/types';
import { indexImage, type IndexedImage } from '../../lib/index/inventory';
import type { LayerCache } from '../../lib/index/layer-cache';
import type { Package } from '../../lib/index/types';
import { readLayer, isLayerContentError } from '../../lib/layers';
import { renderCycloneDx, renderSpdx } from '../../lib/sbom';
import { ImageService } from '../../lib/service/image-service';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import { sbomInputOf } from '../../lib/service/sbom-service';
import { FakeRegistry } from '../image/fake-registry';
import { buildTar, gzip } from '../layers/layer-fixtures';
import { generatedLayer, type GeneratedEntry } from '../layers/generated-layers';
import { debianRootfs, debianRootfsAvailable, debianRootfsTar } from '../support/debian-rootfs';
import { JsonLayerCache, MemorySource, resolvedFrom } from '../support/memory-layers';

const MIB = 1024 * 1024;
const reference: ImageReference = { registry: 'registry.test', remote: 'team/app', tag: 'v1', fullName: 'registry.test/team/app:v1' };
const COPYRIGHT_DATA = join(__dirname, '../analyzers/data/dpkg-copyright');
const OPKG_DATA = join(__dirname, '../analyzers/data/opkg');

const resolvedImage = (source: { add(blob: Buffer): Descriptor }, layers: Descriptor[]) => resolvedFrom(source, layers, reference);

async function index(source: ImageSource & { add(blob: Buffer): Descriptor }, layers: Descriptor[], cache: LayerCache): Promise<IndexedImage> {
  return indexImage(
    resolvedImage(source, layers),
    { source, readLayer, layerCache: cache, analyzers: defaultAnalyzers(), isContentError: isLayerContentError },
    { historyIndex: layers.map((_, i) => i), concurrency: 1 },
  );
}

async function scan(layers: GeneratedEntry[][], cache: LayerCache = new JsonLayerCache()): Promise<IndexedImage> {
  const source = new MemorySource();
  const descriptors: Descriptor[] = [];
  for (const entries of layers) descriptors.push(source.add(await generatedLayer(entries)));
  return index(source, descriptors, cache);
}

const byName = (image: IndexedImage, name: string): Package | undefined => image.inventory.packages.find((pkg) => pkg.name === name);

function stanza(name: string, version: string, extra = ''): string {
  return `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${extra}\n`;
}

const DEBIAN = 'ID=debian\nVERSION_ID="12"\n';
const LZMA_COPYRIGHT = readFileSync(join(COPYRIGHT_DATA, 'liblzma5'));
const LZMA_LICENSE =
  'PD AND probably-PD AND GPL-2+ AND LGPL-2.1+ AND permissive-fsf AND Autoconf AND GPL-2 AND none AND permissive-nowarranty AND config-h AND noderivs AND PD-debian';

describe('Debian licences from usr/share/doc/<pkg>/copyright', () => {
  const base: GeneratedEntry[] = [
    { name: 'etc/os-release', content: DEBIAN },
    {
      name: 'var/lib/dpkg/status',
      content: stanza('liblzma5', '5.4.1-0.2') + stanza('python3.11', '3.11.2-6') + stanza('vendor-tool', '1.0', 'License: Apache-2.0\n') + stanza('bare', '1'),
    },
    { name: 'usr/share/doc/liblzma5/copyright', content: LZMA_COPYRIGHT },
    { name: 'usr/share/doc/python3.11/copyright', content: readFileSync(join(COPYRIGHT_DATA, 'python')) },
    {
      name: 'usr/share/doc/vendor-tool/copyright',
      content: 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n',
    },
  ];

  it('a DEP-5 file gives its package its licences; a free-form one, none; the database’s own licence comes first', async () => {
    const image = await scan([base]);
    expect(image.inventory.partial).toBe(false);
    expect(byName(image, 'liblzma5')?.licenses).toEqual([LZMA_LICENSE]);
    expect(byName(image, 'python3.11')?.licenses).toEqual([]);
    expect(byName(image, 'vendor-tool')?.licenses).toEqual(['Apache-2.0']);
    expect(byName(image, 'bare')?.licenses).toEqual([]);
  });

  it('the same from the layer cache', async () => {
    const cache = new JsonLayerCache();
    await scan([base], cache);
    const again = await scan([base], cache);
    expect(again.layersFromCache).toBe(1);
    expect(byName(again, 'liblzma5')?.licenses).toEqual([LZMA_LICENSE]);
  });

  it('a later layer deleting the doc directory, or replacing the file, takes the licence away', async () => {
    const deleted = await scan([base, [{ name: 'usr/share/doc/.wh.liblzma5', content: '' }]]);
    expect(byName(deleted, 'liblzma5')?.licenses).toEqual([]);
    const replaced = await scan([base, [{ name: 'usr/share/doc/liblzma5/copyright', content: 'Free-form text.\n' }]]);
    expect(byName(replaced, 'liblzma5')?.licenses).toEqual([]);
  });

  it('a copyright file too large to read costs its licence and a warning, not a partial scan', async () => {
    const image = await scan([
      [...base.filter((entry) => entry.name !== 'usr/share/doc/liblzma5/copyright'), { name: 'usr/share/doc/liblzma5/copyright', size: 5 * MIB }],
    ]);
    expect(image.inventory.partial).toBe(false);
    expect(byName(image, 'liblzma5')?.licenses).toEqual([]);
    expect(image.inventory.warnings).toContainEqual(expect.stringMatching(/^dpkg-copyright: usr\/share\/doc\/liblzma5\/copyright: 5242880 bytes is more than/));
  });

  it('many copyright files do not spend the budget the package database needs', async () => {
    const docs: GeneratedEntry[] = Array.from({ length: 40 }, (_, i) => ({ name: `usr/share/doc/pkg${i}/copyright`, content: Buffer.alloc(MIB, 0x41) }));
    const source = new MemorySource();
    const layer = source.add(await generatedLayer([...docs, ...base]));
    const image = await indexImage(
      resolvedImage(source, [layer]),
      {
        source,
        readLayer,
        layerCache: new JsonLayerCache(),
        analyzers: defaultAnalyzers(),
        isContentError: isLayerContentError,
        readOptions: { maxWantedBytes: 8 * MIB },
      },
      { historyIndex: [0], concurrency: 1 },
    );
    expect(image.inventory.partial).toBe(false);
    expect(byName(image, 'liblzma5')?.licenses).toEqual([LZMA_LICENSE]);
  });
});

describe('an OpenWrt image (opkg)', () => {
  const entries = (dir: string): GeneratedEntry[] => {
    const root = join(OPKG_DATA, dir, 'rootfs');
    const files = ['etc/os-release', 'usr/lib/opkg/status', ...readdirSync(join(root, 'usr/lib/opkg/info')).map((name) => `usr/lib/opkg/info/${name}`)];
    return files.map((name) => ({ name, content: readFileSync(join(root, name)) }));
  };

  it('its packages get the opkg purl type under the openwrt namespace and the release as ecosystem', async () => {
    const image = await scan([entries('openwrt-23.05')]);
    expect(image.inventory.partial).toBe(false);
    expect(image.inventory.os).toMatchObject({ id: 'openwrt', versionId: '23.05-snapshot' });
    expect(image.inventory.packages).toHaveLength(380);
    expect(byName(image, 'busybox')).toMatchObject({
      ecosystem: 'openwrt:23.05-snapshot',
      purlType: 'opkg',
      name: 'busybox',
      version: '1.36.1-1',
      purl: 'pkg:opkg/openwrt/busybox@1.36.1-1?arch=x86_64',
      source: { name: 'busybox', version: '1.36.1-1' },
      architecture: 'x86_64',
      location: 'usr/lib/opkg/status',
      analyzer: 'opkg',
      manager: 'opkg',
    });
  });

  it('a Yocto image’s database under /var/lib/opkg too, epochs kept in the version and the purl', async () => {
    const root = join(OPKG_DATA, 'angstrom-2013.06/rootfs');
    const image = await scan([['etc/os-release', 'var/lib/opkg/status'].map((name) => ({ name, content: readFileSync(join(root, name)) }))]);
    expect(image.inventory.packages).toHaveLength(106);
    expect(byName(image, 'opkg')).toMatchObject({
      version: '1:0.1.8+svnr649-r13.0.0',
      purl: 'pkg:opkg/angstrom/opkg@1:0.1.8+svnr649-r13.0.0?arch=armv7ahf-vfp-neon',
    });
  });
});

describe('an OpenWrt image through the image service', () => {
  let registry: FakeRegistry;

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
  });

  afterAll(async () => {
    await registry.close();
  });

  it('its opkg packages become OS components for StackRox and opkg purls in both SBOMs', async () => {
    const root = join(OPKG_DATA, 'openwrt-23.05/rootfs');
    const layer = gzip(await buildTar(['etc/os-release', 'usr/lib/opkg/status'].map((name) => ({ name, content: readFileSync(join(root, name)) }))));
    registry.putImage('team/router', ['1'], { layer });
    const ports = createScanPorts({ ...configFromEnv({}), insecureRegistries: [registry.host] });
    const service = new ImageService({ scan: ports, store: new MemoryImageStore(), scanner: SCANNER });
    const request = { imageName: `${registry.host}/team/router:1`, force: false, includeSnoozed: false, cluster: '' };

    const scanned = await service.scanImage(request);
    expect(scanned.scan?.operatingSystem).toBe('openwrt:23.05-snapshot');
    expect(scanned.scan?.components).toHaveLength(380);
    expect(scanned.scan?.components.find((c) => c.name === 'busybox')).toMatchObject({ version: '1.36.1-1', source: 'OS', location: '' });

    const stored = await service.inventoryOf(request);
    const input = sbomInputOf(stored, { name: 'lamina', version: 'test' }, new Date());
    const cyclonedx = renderCycloneDx(input) as { components: Array<{ name: string; purl?: string }> };
    expect(cyclonedx.components.find((c) => c.name === 'busybox')?.purl).toBe('pkg:opkg/openwrt/busybox@1.36.1-1?arch=x86_64');
    const spdx = renderSpdx(input) as { packages: Array<{ name: string; externalRefs?: Array<{ referenceLocator: string }> }> };
    expect(spdx.packages.find((p) => p.name === 'busybox')?.externalRefs?.map((ref) => ref.referenceLocator)).toContain(
      'pkg:opkg/openwrt/busybox@1.36.1-1?arch=x86_64',
    );
  });
});

/** Layer blobs read from files, for a tar too large to hold in memory twice. */
class FileSource implements ImageSource {
  private readonly files = new Map<string, string>();
  private readonly memory = new MemorySource();
  async addFile(path: string): Promise<Descriptor> {
    const digest = `sha256:${Buffer.from(path).toString('hex').padEnd(64, '0').slice(0, 64)}`;
    this.files.set(digest, path);
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: (await stat(path)).size };
  }
  add(blob: Buffer): Descriptor {
    return this.memory.add(blob);
  }
  async resolve(): Promise<ResolvedImage> {
    throw new Error('not used');
  }
  async openBlob(ref: ImageReference, descriptor: Descriptor): Promise<NodeJS.ReadableStream> {
    const path = this.files.get(descriptor.digest);
    return path ? createReadStream(path) : this.memory.openBlob(ref, descriptor);
  }
}

const rootfsAvailable = debianRootfsAvailable();
if (!rootfsAvailable) console.warn('SKIPPED licences of a real Debian root filesystem: needs mmdebstrap and root');

(rootfsAvailable ? describe : describe.skip)('licences of a real Debian bookworm root filesystem', () => {
  it('every package whose doc directory holds a DEP-5 copyright file has its licences, and the scan is whole', async () => {
    const root = await debianRootfs();
    const source = new FileSource();
    const image = await index(source, [await source.addFile(await debianRootfsTar())], new JsonLayerCache());
    expect(image.inventory.partial).toBe(false);
    const doc = join(root, 'usr/share/doc');
    let licensed = 0;
    for (const pkg of image.inventory.packages) {
      const path = join(doc, pkg.name, 'copyright');
      // A doc directory that is a link to another package's is not followed: that package has the licence.
      const own = existsSync(path) && !lstatSync(join(doc, pkg.name)).isSymbolicLink() && lstatSync(path).isFile();
      const names = own ? copyrightLicenses(readFileSync(path, 'utf8')) : undefined;
      const expected = names && names.length > 0 ? [names.length === 1 ? names[0] : names.map((n) => (/\s/.test(n) ? `(${n})` : n)).join(' AND ')] : [];
      expect([pkg.name, pkg.licenses]).toEqual([pkg.name, expected]);
      if (expected.length > 0) licensed++;
    }
    expect(licensed).toBeGreaterThan(50);
  }, 600_000);
});
