import { randomUUID } from 'node:crypto';
import type { Package } from '../index/types';
import { uniqueIds } from './ids';
import { combinedSpdxExpression, statedLicenses } from './license';
import { imageProperties, inventoryProperties, type NamedValue, packageProperties } from './properties';
import { imagePurl } from './purl';
import type { SbomInput } from './types';

// spdx.org/spdxdocs is the conventional namespace base for documents whose creator has no site of its own.
const NAMESPACE_BASE = 'https://spdx.org/spdxdocs';
const NOASSERTION = 'NOASSERTION';

interface Annotation {
  annotationDate: string;
  annotationType: 'OTHER';
  annotator: string;
  comment: string;
}

interface Context {
  created: string;
  annotator: string;
}

/** SPDX element ids allow only letters, digits, `.` and `-` after `SPDXRef-`. */
function sanitise(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed';
}

/** SPDX dates are UTC to the second. */
function spdxDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function annotationsOf(properties: NamedValue[], context: Context): Annotation[] {
  return properties.map(([name, value]) => ({
    annotationDate: context.created,
    annotationType: 'OTHER',
    annotator: context.annotator,
    comment: `${name}=${value}`,
  }));
}

function purlRef(purl: string): object[] {
  return purl ? [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }] : [];
}

function packageOf(pkg: Package, spdxId: string, context: Context): object {
  const stated = statedLicenses(pkg.licenses);
  // LicenseRefs would need hasExtractedLicensingInfos entries, so only expressions over listed ids are declared.
  const declared = combinedSpdxExpression(stated) ?? NOASSERTION;
  return {
    name: pkg.name,
    SPDXID: spdxId,
    versionInfo: pkg.version,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: declared,
    ...(declared === NOASSERTION && stated.length > 0 ? { licenseComments: `Licences as the package states them: ${stated.join('; ')}` } : {}),
    copyrightText: NOASSERTION,
    ...(pkg.source ? { sourceInfo: `built from source package ${pkg.source.name} ${pkg.source.version}` } : {}),
    externalRefs: purlRef(pkg.purl),
    annotations: annotationsOf(packageProperties(pkg), context),
  };
}

/** An SPDX 2.3 JSON document describing the image, which CONTAINS every package. */
export function renderSpdx(input: SbomInput): object {
  const { image, inventory, tool } = input;
  const uuid = input.serialNumber ?? randomUUID();
  const context: Context = { created: spdxDate(input.created), annotator: `Tool: ${tool.name}-${tool.version}` };
  const imageId = `SPDXRef-Image-${sanitise(image.remote)}`;
  const packageIds = uniqueIds(
    inventory.packages.map((pkg) => `SPDXRef-Package-${[pkg.purlType, pkg.name, pkg.version].map(sanitise).join('-')}`),
    '-',
    [imageId],
  );

  const imagePackage = {
    name: `${image.registry}/${image.remote}`,
    SPDXID: imageId,
    versionInfo: image.digest,
    primaryPackagePurpose: 'CONTAINER',
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    externalRefs: purlRef(imagePurl(image)),
    annotations: annotationsOf([...imageProperties(image), ...inventoryProperties(inventory)], context),
  };

  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: image.fullName,
    documentNamespace: `${NAMESPACE_BASE}/${sanitise(tool.name)}/${image.fullName.replace(/[^A-Za-z0-9._/-]+/g, '-')}-${uuid}`,
    creationInfo: { created: context.created, creators: [context.annotator] },
    documentDescribes: [imageId],
    packages: [imagePackage, ...inventory.packages.map((pkg, index) => packageOf(pkg, packageIds[index] as string, context))],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
      ...packageIds.map((id) => ({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id })),
    ],
  };
}
