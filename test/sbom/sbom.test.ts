import { PackageURL } from 'packageurl-js';
import type { Package } from '../../lib/index/types';
import { imagePurl, renderCycloneDx, renderSpdx, type SbomInput } from '../../lib/sbom';
import { describeWithShared } from '../support/shared-fixtures';
import { awkwardInput, CASES } from './inventories';
import { errorsOf, loadValidators, type Validators } from './schemas';

interface CdxProperty {
  name: string;
  value: string;
}
interface CdxComponent {
  type: string;
  'bom-ref': string;
  name: string;
  version?: string;
  purl?: string;
  description?: string;
  licenses?: Array<{ license?: { id?: string; name?: string }; expression?: string }>;
  properties?: CdxProperty[];
}
interface CycloneDx {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component: CdxComponent; tools: { components: CdxComponent[] }; properties?: CdxProperty[] };
  components: CdxComponent[];
  dependencies: Array<{ ref: string; dependsOn?: string[] }>;
}

interface SpdxAnnotation {
  annotationDate: string;
  annotationType: string;
  annotator: string;
  comment: string;
}
interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo: string;
  primaryPackagePurpose?: string;
  downloadLocation: string;
  filesAnalyzed: boolean;
  licenseConcluded: string;
  licenseDeclared: string;
  licenseComments?: string;
  copyrightText: string;
  sourceInfo?: string;
  externalRefs: Array<{ referenceCategory: string; referenceType: string; referenceLocator: string }>;
  annotations: SpdxAnnotation[];
}
interface Spdx {
  spdxVersion: string;
  dataLicense: string;
  SPDXID: string;
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  documentDescribes: string[];
  packages: SpdxPackage[];
  relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }>;
}

const cyclonedx = (input: SbomInput) => renderCycloneDx(input) as CycloneDx;
const spdx = (input: SbomInput) => renderSpdx(input) as Spdx;

const property = (component: CdxComponent, name: string) => component.properties?.find((p) => p.name === name)?.value;
const annotation = (pkg: SpdxPackage, name: string) => pkg.annotations.find((a) => a.comment.startsWith(`${name}=`))?.comment.slice(name.length + 1);
const purlOf = (pkg: SpdxPackage) => pkg.externalRefs.find((ref) => ref.referenceType === 'purl')?.referenceLocator;

/** The one library component that is this package (same purl, same evidence location). */
function componentFor(doc: CycloneDx, pkg: Package): CdxComponent {
  const matches = doc.components.filter((c) => c.type === 'library' && c.purl === pkg.purl && property(c, 'lamina:location') === pkg.location);
  expect(matches).toHaveLength(1);
  return matches[0] as CdxComponent;
}

function spdxPackageFor(doc: Spdx, pkg: Package): SpdxPackage {
  const matches = doc.packages.filter((p) => purlOf(p) === pkg.purl && annotation(p, 'lamina:location') === pkg.location);
  expect(matches).toHaveLength(1);
  return matches[0] as SpdxPackage;
}

describe('imagePurl', () => {
  const image = CASES[0]?.input.image as SbomInput['image'];

  it('names the image by its last repository segment and its manifest digest, with repository_url and tag', () => {
    const purl = PackageURL.fromString(imagePurl(image));
    expect(purl).toMatchObject({ type: 'oci', namespace: undefined, name: 'node', version: image.digest });
    expect(purl.qualifiers).toEqual({ repository_url: 'docker.io/library/node', tag: '20-bookworm' });
    expect(imagePurl(image)).toMatch(/^pkg:oci\/node@sha256/);
  });

  it('leaves out the tag of an image addressed by digest and lower-cases the name', () => {
    const purl = PackageURL.fromString(imagePurl({ ...image, registry: 'localhost:5000', remote: 'Team/Tools/App', tag: undefined }));
    expect(purl.name).toBe('app');
    expect(purl.qualifiers).toEqual({ repository_url: 'localhost:5000/Team/Tools/App' });
  });
});

describe.each(CASES)('CycloneDX: $label', ({ input }) => {
  const { image, inventory } = input;
  let doc: CycloneDx;
  beforeAll(() => {
    doc = cyclonedx(input);
  });

  it('is a 1.6 document with the given serial number, creation time and tool', () => {
    expect(doc).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: `urn:uuid:${input.serialNumber}` });
    expect(new Date(doc.metadata.timestamp).getTime()).toBe(input.created.getTime());
    expect(doc.metadata.tools.components).toEqual([expect.objectContaining({ type: 'application', name: 'lamina', version: '1.4.2' })]);
    expect(doc.metadata.properties).toContainEqual({ name: 'lamina:inventory:partial', value: String(inventory.partial) });
  });

  it('has the image as its root component: a container with its pkg:oci purl and digest', () => {
    expect(doc.metadata.component).toMatchObject({
      type: 'container',
      'bom-ref': imagePurl(image),
      name: `${image.registry}/${image.remote}`,
      version: image.digest,
      purl: imagePurl(image),
    });
    if (image.distribution) expect(property(doc.metadata.component, 'lamina:image:distribution')).toBe(image.distribution);
  });

  it('lists every package once as a library, with its version, purl, layer and location', () => {
    expect(doc.components.filter((c) => c.type === 'library')).toHaveLength(inventory.packages.length);
    for (const pkg of inventory.packages) {
      const component = componentFor(doc, pkg);
      expect(component).toMatchObject({ name: pkg.name, version: pkg.version });
      expect(property(component, 'lamina:layer:digest')).toBe(pkg.layer.digest);
      expect(property(component, 'lamina:layer:index')).toBe(String(pkg.layer.index));
      expect(property(component, 'lamina:analyzer')).toBe(pkg.analyzer);
      expect(property(component, 'lamina:ecosystem')).toBe(pkg.ecosystem);
      expect(property(component, 'lamina:source:name')).toBe(pkg.source?.name);
      expect(property(component, 'lamina:source:version')).toBe(pkg.source?.version);
    }
  });

  it('adds the distribution as an operating-system component when the inventory has one', () => {
    const systems = doc.components.filter((c) => c.type === 'operating-system');
    if (!inventory.os) {
      expect(systems).toEqual([]);
      return;
    }
    expect(systems).toEqual([expect.objectContaining({ name: inventory.os.id, version: inventory.os.versionId, description: inventory.os.prettyName })]);
  });

  it('gives every component a unique bom-ref, the purl where it is free', () => {
    const refs = [doc.metadata.component, ...doc.components].map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    const firsts = new Set(inventory.packages.map((pkg) => pkg.purl));
    for (const purl of firsts) expect(refs).toContain(purl);
  });

  it('makes the image depend on every package and on its OS', () => {
    const root = doc.dependencies.find((d) => d.ref === doc.metadata.component['bom-ref']);
    expect(new Set(root?.dependsOn)).toEqual(new Set(doc.components.map((c) => c['bom-ref'])));
    for (const component of doc.components) expect(doc.dependencies).toContainEqual({ ref: component['bom-ref'] });
  });
});

describe('CycloneDX licences and duplicates', () => {
  const input = CASES[0]?.input as SbomInput;
  const doc = () => cyclonedx(input);
  const byName = (name: string) => doc().components.filter((c) => c.name === name);

  it('uses SPDX ids for listed licences, one expression for expressions, names for the rest', () => {
    expect(byName('libc6')[0]?.licenses).toEqual([{ license: { id: 'LGPL-2.1-or-later' } }]);
    expect(byName('rimraf')[0]?.licenses).toEqual([{ expression: '(ISC OR (MIT AND Apache-2.0)) AND BlueOak-1.0.0' }]);
    expect(byName('perl-base')[0]?.licenses).toEqual([{ license: { name: 'GPL-1+ or Artistic' } }, { license: { id: 'Artistic-dist' } }]);
    const alpine = cyclonedx(CASES[1]?.input as SbomInput);
    expect(alpine.components.find((c) => c.name === 'ca-certificates-bundle')?.licenses).toEqual([{ expression: 'MPL-2.0 AND MIT' }]);
  });

  it('suffixes the bom-ref of a package found twice, keeping the first one its purl', () => {
    expect(byName('debug').map((c) => c['bom-ref'])).toEqual(['pkg:npm/debug@4.3.4', 'pkg:npm/debug@4.3.4#2']);
  });

  it('is deterministic for a given serial number', () => {
    expect(JSON.stringify(doc())).toBe(JSON.stringify(doc()));
  });

  it('makes up a urn:uuid serial number when none is given', () => {
    const { serialNumber: _, ...random } = input;
    expect(cyclonedx(random).serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe.each(CASES)('SPDX: $label', ({ input }) => {
  const { image, inventory } = input;
  let doc: Spdx;
  let imagePackage: SpdxPackage;
  beforeAll(() => {
    doc = spdx(input);
    imagePackage = doc.packages.find((p) => p.SPDXID === doc.documentDescribes[0]) as SpdxPackage;
  });

  it('is an SPDX 2.3 document named after the image, with a unique namespace and the tool as creator', () => {
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: image.fullName });
    expect(doc.creationInfo).toEqual({ created: input.created.toISOString().replace(/\.\d+Z$/, 'Z'), creators: ['Tool: lamina-1.4.2'] });
    const namespace = new URL(doc.documentNamespace);
    expect(namespace.protocol).toBe('https:');
    expect(doc.documentNamespace).toContain(input.serialNumber);
    expect(doc.documentNamespace).toContain(image.remote);
  });

  it('describes the image package: a CONTAINER with its digest and pkg:oci purl', () => {
    expect(doc.documentDescribes).toHaveLength(1);
    expect(imagePackage).toMatchObject({
      SPDXID: expect.stringMatching(/^SPDXRef-Image-/),
      name: `${image.registry}/${image.remote}`,
      versionInfo: image.digest,
      primaryPackagePurpose: 'CONTAINER',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
    });
    expect(imagePackage.externalRefs).toEqual([{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: imagePurl(image) }]);
    expect(doc.relationships).toContainEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imagePackage.SPDXID });
    expect(annotation(imagePackage, 'lamina:inventory:partial')).toBe(String(inventory.partial));
  });

  it('lists every package once with its version and purl, contained in the image', () => {
    expect(doc.packages).toHaveLength(inventory.packages.length + 1);
    for (const pkg of inventory.packages) {
      const spdxPackage = spdxPackageFor(doc, pkg);
      expect(spdxPackage).toMatchObject({
        name: pkg.name,
        versionInfo: pkg.version,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        licenseConcluded: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
      });
      expect(spdxPackage.externalRefs).toEqual([{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }]);
      expect(doc.relationships).toContainEqual({ spdxElementId: imagePackage.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: spdxPackage.SPDXID });
      if (pkg.source) expect(spdxPackage.sourceInfo).toContain(`${pkg.source.name} ${pkg.source.version}`);
    }
  });

  it('annotates each package with its layer, location and analyser, by the tool', () => {
    for (const pkg of inventory.packages) {
      const spdxPackage = spdxPackageFor(doc, pkg);
      expect(annotation(spdxPackage, 'lamina:layer:digest')).toBe(pkg.layer.digest);
      expect(annotation(spdxPackage, 'lamina:layer:index')).toBe(String(pkg.layer.index));
      expect(annotation(spdxPackage, 'lamina:analyzer')).toBe(pkg.analyzer);
      for (const note of spdxPackage.annotations) {
        expect(note).toMatchObject({ annotationType: 'OTHER', annotator: 'Tool: lamina-1.4.2', annotationDate: doc.creationInfo.created });
      }
    }
  });

  it('uses unique, well-formed SPDX ids that every relationship resolves', () => {
    const ids = doc.packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
    for (const r of doc.relationships) {
      expect(known).toContain(r.spdxElementId);
      expect(known).toContain(r.relatedSpdxElement);
    }
  });
});

describe('SPDX licences and duplicates', () => {
  const doc = spdx(CASES[0]?.input as SbomInput);
  const byName = (name: string) => doc.packages.filter((p) => p.name === name);

  it('declares licences that form an SPDX expression, NOASSERTION with a comment otherwise', () => {
    expect(byName('libc6')[0]?.licenseDeclared).toBe('LGPL-2.1-or-later');
    expect(byName('rimraf')[0]?.licenseDeclared).toBe('(ISC OR (MIT AND Apache-2.0)) AND BlueOak-1.0.0');
    expect(byName('perl-base')[0]).toMatchObject({ licenseDeclared: 'NOASSERTION', licenseComments: expect.stringContaining('GPL-1+ or Artistic') });
    const rpm = spdx(CASES[2]?.input as SbomInput);
    expect(rpm.packages.find((p) => p.name === 'openssl-libs')?.licenseDeclared).toBe('NOASSERTION');
  });

  it('gives a package found twice distinct ids', () => {
    expect(byName('debug').map((p) => p.SPDXID)).toEqual(['SPDXRef-Package-npm-debug-4.3.4', 'SPDXRef-Package-npm-debug-4.3.4-2']);
    expect(byName('@babel/core')[0]?.SPDXID).toBe('SPDXRef-Package-npm-babel-core-7.24.0');
  });

  it('sanitises names into ids and keeps awkward licences out of licenseDeclared', () => {
    const awkward = spdx(awkwardInput());
    const ids = awkward.packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(awkward.packages.slice(1).map((p) => p.licenseDeclared)).toEqual(Array(8).fill('NOASSERTION'));
  });
});

describeWithShared('SBOM documents against the official schemas', () => {
  let validators: Validators;
  beforeAll(() => {
    validators = loadValidators();
  });

  const inputs: Array<[string, () => SbomInput]> = [
    ...CASES.map(({ label, input }): [string, () => SbomInput] => [label, () => input]),
    ['awkward names and licences', awkwardInput],
  ];

  it.each(inputs)('CycloneDX 1.6 is schema-valid: %s', (_, input) => {
    const valid = validators.cyclonedx(renderCycloneDx(input()));
    expect(errorsOf(validators.cyclonedx)).toEqual([]);
    expect(valid).toBe(true);
  });

  it.each(inputs)('SPDX 2.3 is schema-valid: %s', (_, input) => {
    const valid = validators.spdx(renderSpdx(input()));
    expect(errorsOf(validators.spdx)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema rejects a broken document (the validators do check)', () => {
    const doc = renderCycloneDx(CASES[0]?.input as SbomInput) as CycloneDx;
    expect(validators.cyclonedx({ ...doc, components: [{ ...doc.components[0], type: 'container-image' }] })).toBe(false);
    expect(validators.cyclonedx({ ...doc, serialNumber: 'not-a-urn' })).toBe(false);
    expect(validators.spdx({ ...(renderSpdx(CASES[0]?.input as SbomInput) as Spdx), dataLicense: undefined })).toBe(false);
  });
});
