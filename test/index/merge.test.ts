import type { Evidence, OsPackage } from '../../lib/analyzers/types';
import { mergeLayers, type AnalyzedLayer } from '../../lib/index/merge';
import { packagesOf } from '../../lib/index/packages';
import { componentsOf } from '../../lib/stackrox/components';
import { queryFor } from '../../lib/vulndb/package-keys';

function pkg(name: string, version: string): OsPackage {
  return { manager: 'dpkg', name, version, architecture: 'amd64', sourceName: name, sourceVersion: version };
}
function status(...packages: OsPackage[]): Evidence[] {
  return [{ kind: 'packages', packages }];
}
function layer(files: Record<string, Evidence[]>, changes: Partial<AnalyzedLayer> = {}): AnalyzedLayer {
  return {
    whiteouts: changes.whiteouts ?? [],
    opaqueDirs: changes.opaqueDirs ?? [],
    files: Object.entries(files).map(([path, evidence]) => ({ path, evidence })),
  };
}
const names = (merged: ReturnType<typeof mergeLayers>) => merged.packages.map(({ pkg: p, layer: l }) => `${p.name}=${p.version}@${l}`);

describe('mergeLayers', () => {
  it('attributes each package to the layer that introduced it and keeps it through later rewrites of the database', () => {
    const merged = mergeLayers([
      layer({ 'var/lib/dpkg/status': status(pkg('base-files', '12.4'), pkg('bash', '5.2-1')) }),
      layer({}),
      layer({ 'var/lib/dpkg/status': status(pkg('base-files', '12.4'), pkg('bash', '5.2-1'), pkg('curl', '7.88')) }),
    ]);
    expect(names(merged)).toEqual(['base-files=12.4@0', 'bash=5.2-1@0', 'curl=7.88@2']);
  });

  it('drops packages that a later database no longer lists, and re-attributes upgraded ones', () => {
    const merged = mergeLayers([
      layer({ 'var/lib/dpkg/status': status(pkg('bash', '5.2-1'), pkg('curl', '7.88')) }),
      layer({ 'var/lib/dpkg/status': status(pkg('bash', '5.2-2')) }),
    ]);
    expect(names(merged)).toEqual(['bash=5.2-2@1']);
  });

  it('applies whiteouts of files and of whole directories', () => {
    const merged = mergeLayers([
      layer({
        'var/lib/dpkg/status.d/foo': status(pkg('foo', '1')),
        'var/lib/dpkg/status.d/bar': status(pkg('bar', '2')),
        'etc/os-release': [{ kind: 'os', os: { id: 'debian', versionId: '12' }, priority: 100 }],
      }),
      layer({}, { whiteouts: ['var/lib/dpkg/status.d/foo'] }),
      layer({}, { whiteouts: ['etc'] }),
    ]);
    expect(names(merged)).toEqual(['bar=2@0']);
    expect(merged.os).toBeUndefined();
  });

  it('hides everything below an opaque directory from lower layers but keeps the same layer’s files', () => {
    const merged = mergeLayers([
      layer({ 'var/lib/dpkg/status.d/foo': status(pkg('foo', '1')), 'var/lib/dpkg/status.d/bar': status(pkg('bar', '1')) }),
      layer({ 'var/lib/dpkg/status.d/baz': status(pkg('baz', '3')) }, { opaqueDirs: ['var/lib/dpkg/status.d'] }),
    ]);
    expect(names(merged)).toEqual(['baz=3@1']);
  });

  it('treats an opaque root as hiding every lower layer', () => {
    const merged = mergeLayers([layer({ 'var/lib/dpkg/status': status(pkg('foo', '1')) }), layer({}, { opaqueDirs: [''] })]);
    expect(merged.packages).toEqual([]);
  });

  it('a package that disappears and comes back is attributed to the layer that brought it back', () => {
    const merged = mergeLayers([
      layer({ 'var/lib/dpkg/status': status(pkg('foo', '1')) }),
      layer({ 'var/lib/dpkg/status': status() }),
      layer({ 'var/lib/dpkg/status': status(pkg('foo', '1')) }),
    ]);
    expect(names(merged)).toEqual(['foo=1@2']);
  });

  it('picks the OS from the highest-priority surviving evidence', () => {
    const merged = mergeLayers([
      layer({ 'etc/debian_version': [{ kind: 'os', os: { id: 'debian', versionId: '12' }, priority: 10 }] }),
      layer({ 'usr/lib/os-release': [{ kind: 'os', os: { id: 'debian', versionId: '12', codename: 'bookworm' }, priority: 90 }] }),
    ]);
    expect(merged.os?.codename).toBe('bookworm');
  });

  it('joins owned-file lists to their packages', () => {
    const merged = mergeLayers([
      layer({
        'var/lib/dpkg/status': status(pkg('bash', '5.2-1')),
        'var/lib/dpkg/info/bash.list': [{ kind: 'owned-files', manager: 'dpkg', owner: 'bash', files: ['bin/bash', 'etc/skel/.bashrc'] }],
      }),
    ]);
    expect(merged.packages[0].pkg.files).toEqual(['bin/bash', 'etc/skel/.bashrc']);
  });
});

describe('language packages whose files an OS package owns', () => {
  it('carry the owner, and are neither matched nor listed again as components', () => {
    const metadata = 'usr/lib/python3/dist-packages/urllib3-1.26.12.dist-info/METADATA';
    const merged = mergeLayers([
      layer({
        'var/lib/dpkg/status': status({ ...pkg('python3-urllib3', '1.26.12-1'), sourceName: 'python-urllib3' }),
        'var/lib/dpkg/info/python3-urllib3.list': [{ kind: 'owned-files', manager: 'dpkg', owner: 'python3-urllib3', files: [metadata] }],
        [metadata]: [{ kind: 'packages', analyzer: 'python', packages: [{ ecosystem: 'PyPI', purlType: 'pypi', name: 'urllib3', version: '1.26.12' }] }],
        'opt/venv/lib/python3.11/site-packages/urllib3-2.0.0.dist-info/METADATA': [
          { kind: 'packages', analyzer: 'python', packages: [{ ecosystem: 'PyPI', purlType: 'pypi', name: 'urllib3', version: '2.0.0' }] },
        ],
      }),
    ]);
    const os = { id: 'debian', versionId: '12' };
    const packages = packagesOf(merged.packages, os, [], [0]);
    const pypi = packages.filter((p) => p.ecosystem === 'PyPI');
    expect(pypi.map((p) => [p.version, p.owner])).toEqual(
      expect.arrayContaining([
        ['1.26.12', { manager: 'dpkg', name: 'python3-urllib3' }],
        ['2.0.0', undefined],
      ]),
    );
    const inventory = { os, packages, partial: false, warnings: [] };
    expect(
      packages
        .filter((p) => queryFor(p, inventory))
        .map((p) => `${p.ecosystem} ${p.name} ${p.version}`)
        .sort(),
    ).toEqual(['Debian:12 python3-urllib3 1.26.12-1', 'PyPI urllib3 2.0.0']);
    expect(
      componentsOf(inventory, [], { now: new Date() })
        .map((c) => `${c.source} ${c.name} ${c.version}`)
        .sort(),
    ).toEqual(['OS python3-urllib3 1.26.12-1', 'PYTHON urllib3 2.0.0']);
  });
});
