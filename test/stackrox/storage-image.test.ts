import type { ImageReference, ResolvedImage } from '../../lib/image/types';
import type { Inventory } from '../../lib/index/types';
import { encodeStorageImage } from '../../lib/stackrox/encode';
import { buildMetadata } from '../../lib/stackrox/metadata';
import { componentOf } from '../../lib/stackrox/components';
import { applySnoozeFilter, assembleStorageImage, scanNotesWithPartial } from '../../lib/stackrox/storage-image';
import { inventoryOf, osPackage, packageOf } from '../support/packages';
import type { StorageEmbeddedVulnerability } from '../../lib/stackrox/types';
import { testVulnerability } from '../support/vulnerabilities';

const MANIFEST = `sha256:${'ab'.repeat(32)}`;
const SCAN_TIME = new Date('2024-07-19T12:00:00.250Z');

const reference: ImageReference = { registry: 'registry.example.com:5000', remote: 'team/app', tag: 'v1', fullName: 'registry.example.com:5000/team/app:v1' };

const resolved: ResolvedImage = {
  reference,
  manifestDigest: MANIFEST,
  configDigest: `sha256:${'c0'.repeat(32)}`,
  manifest: {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'c0'.repeat(32)}`, size: 900 },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: `sha256:${'01'.repeat(32)}`, size: 1 }],
  },
  config: { created: '2024-07-01T00:00:00Z', history: [{ created: '2024-07-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:1 in / ' }] },
};

const os = { id: 'debian', versionId: '12' };
const inventory: Inventory = inventoryOf(os, [
  osPackage({ manager: 'dpkg', name: 'bash', version: '5.2.15-2+b7', sourceName: 'bash', sourceVersion: '5.2.15-2+b7', license: 'GPL-3' }, os),
  packageOf({ ecosystem: 'npm', purlType: 'npm', name: 'express', version: '4.19.2' }, os, { location: 'app/node_modules/express/package.json' }),
]);

function vuln(cve: string, extra: Partial<StorageEmbeddedVulnerability> = {}): StorageEmbeddedVulnerability {
  return testVulnerability(cve, { cvss: 7.5, severity: 'IMPORTANT_VULNERABILITY_SEVERITY', ...extra });
}

const scanner = { version: '0.1.0', dataSource: { id: 'lamina-scanner', name: 'lamina' } };

function assemble(overrides: Partial<Parameters<typeof assembleStorageImage>[0]> = {}) {
  return assembleStorageImage({
    reference,
    names: [reference],
    resolved,
    inventory,
    components: inventory.packages.map(componentOf),
    scanTime: SCAN_TIME,
    scanner,
    operatingSystem: 'debian:12',
    ...overrides,
  });
}

describe('assembling the StorageImage of a scan', () => {
  it('fills identity, name, defaults and scan fields', () => {
    const image = assemble();
    expect(image).toMatchObject({
      id: MANIFEST,
      name: { registry: 'registry.example.com:5000', remote: 'team/app', tag: 'v1', fullName: 'registry.example.com:5000/team/app:v1' },
      names: [reference],
      priority: '0',
      notPullable: false,
      isClusterLocal: false,
      lastUpdated: '2024-07-19T12:00:00.250Z',
      components: 2,
      cves: 0,
      fixableCves: 0,
      riskScore: Math.fround(1.05), // bash is useful to attackers: 1 + 1/20
      notes: [],
      signature: null,
      signatureVerificationData: null,
    });
    expect(image.topCvss).toBeUndefined();
    expect(image.metadata).toEqual(buildMetadata(resolved, SCAN_TIME));
    expect(image.scan).toMatchObject({
      scannerVersion: '0.1.0',
      scanTime: '2024-07-19T12:00:00.250Z',
      operatingSystem: 'debian:12',
      dataSource: { id: 'lamina-scanner', name: 'lamina', mirror: '' },
      notes: [],
    });
    expect(image.scan!.hash).toMatch(/^\d+$/);
  });

  it('takes the digest the request named as the id', () => {
    const pinned = { ...reference, tag: '', digest: `sha256:${'ee'.repeat(32)}`, fullName: `registry.example.com:5000/team/app@sha256:${'ee'.repeat(32)}` };
    expect(assemble({ reference: pinned }).id).toBe(pinned.digest);
  });

  it('turns inventory components into StackRox components without vulnerabilities', () => {
    expect(componentOf(inventory.packages[0])).toEqual({
      name: 'bash',
      version: '5.2.15-2+b7',
      license: { name: 'GPL-3', type: '', url: '' },
      vulns: [],
      layerIndex: 0,
      priority: '0',
      source: 'OS',
      location: '',
      riskScore: 0,
      fixedBy: '',
      executables: [],
    });
    expect(componentOf(inventory.packages[1])).toMatchObject({ license: null, source: 'NODEJS', location: 'app/node_modules/express/package.json' });
  });

  it('works out counts, component stats and risk from matched vulnerabilities', () => {
    const [bash, express] = inventory.packages.map(componentOf);
    const image = assemble({
      components: [
        {
          ...bash,
          vulns: [
            vuln('CVE-2022-3715', { cvss: Math.fround(7.8), fixedBy: '5.2.15-2+b8' }),
            vuln('CVE-2019-18276', { cvss: 7.8, severity: 'LOW_VULNERABILITY_SEVERITY' }),
          ],
        },
        express,
      ],
    });
    expect(image).toMatchObject({ components: 2, cves: 2, fixableCves: 1, topCvss: Math.fround(7.8) });
    const [scoredBash, scoredExpress] = image.scan!.components;
    expect(scoredBash.topCvss).toBe(Math.fround(7.8));
    expect(scoredBash.riskScore).toBeCloseTo(1 + ((6.4 + 0.4) / 100) * 3, 5);
    expect(scoredExpress).not.toHaveProperty('topCvss');
    expect(image.riskScore).toBeCloseTo((1 + (6.8 / 100) * 3) * 1.05, 5);
    const json = encodeStorageImage(image) as Record<string, any>;
    expect(json.topCvss).toBe(7.8);
    expect(json.scan.components[0].vulns[0].fixedBy).toBe('5.2.15-2+b8');
    expect(json.scan.components[0].vulns[1]).not.toHaveProperty('fixedBy');
  });

  it('adds PARTIAL_SCAN_DATA when part of the scan is missing', () => {
    expect(assemble({ scanNotes: ['OS_CVES_UNAVAILABLE'] }).scan!.notes).toEqual(['OS_CVES_UNAVAILABLE', 'PARTIAL_SCAN_DATA']);
    expect(assemble({ scanNotes: ['OS_UNAVAILABLE', 'LANGUAGE_CVES_UNAVAILABLE'] }).scan!.notes).toEqual([
      'OS_UNAVAILABLE',
      'LANGUAGE_CVES_UNAVAILABLE',
      'PARTIAL_SCAN_DATA',
    ]);
    expect(assemble({ inventory: { ...inventory, os: undefined } }).scan!.notes).toEqual(['OS_UNAVAILABLE', 'PARTIAL_SCAN_DATA']);
    expect(scanNotesWithPartial(['OS_CVES_STALE'])).toEqual(['OS_CVES_STALE']);
    expect(scanNotesWithPartial(['PARTIAL_SCAN_DATA', 'OS_UNAVAILABLE', 'OS_UNAVAILABLE'])).toEqual(['PARTIAL_SCAN_DATA', 'OS_UNAVAILABLE']);
  });

  it('keeps image notes and an unknown operating system', () => {
    const image = assemble({ operatingSystem: '', notes: ['MISSING_SIGNATURE', 'MISSING_SIGNATURE_VERIFICATION_DATA', 'MISSING_SIGNATURE'] });
    expect(image.notes).toEqual(['MISSING_SIGNATURE', 'MISSING_SIGNATURE_VERIFICATION_DATA']);
    expect(image.scan!.operatingSystem).toBe('unknown');
  });
});

describe('snoozed vulnerabilities', () => {
  const [bash, express] = inventory.packages.map(componentOf);
  const image = assemble({
    components: [
      {
        ...bash,
        vulns: [
          vuln('CVE-1', { fixedBy: '5.3' }),
          vuln('CVE-2', { suppressed: true, state: 'DEFERRED', suppressActivation: '2024-07-01T00:00:00Z', cvss: 9.8 }),
        ],
      },
      { ...express, vulns: [vuln('CVE-3', { state: 'FALSE_POSITIVE', fixedBy: '4.19.3' })] },
    ],
  });

  it('are removed without includeSnoozed; only cves is recomputed', () => {
    const filtered = applySnoozeFilter(image, false);
    expect(filtered.scan!.components.map((c) => c.vulns.map((v) => v.cve))).toEqual([['CVE-1'], []]);
    expect(filtered.cves).toBe(1);
    expect(filtered.fixableCves).toBe(image.fixableCves);
    expect(filtered.fixableCves).toBe(2);
    expect(filtered.topCvss).toBe(image.topCvss);
    expect(filtered.riskScore).toBe(image.riskScore);
    expect(filtered.scan!.components).toHaveLength(2);
    expect(image.scan!.components[0].vulns).toHaveLength(2);
  });

  it('stay with includeSnoozed', () => {
    expect(applySnoozeFilter(image, true)).toBe(image);
    expect(image.cves).toBe(3);
  });

  it('leave an image without scan alone', () => {
    const bare = { ...image, scan: null };
    expect(applySnoozeFilter(bare, false)).toBe(bare);
  });
});
