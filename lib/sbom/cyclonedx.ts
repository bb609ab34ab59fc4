import { randomUUID } from 'node:crypto';
import * as Contrib from '@cyclonedx/cyclonedx-library/Contrib';
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import type { OsRelease } from '../analyzers/types';
import type { Package } from '../index/types';
import { uniqueIds } from './ids';
import { assertSpdxExpression, combinedSpdxExpression, statedLicenses } from './license';
import { imageProperties, inventoryProperties, type NamedValue, packageProperties } from './properties';
import { imagePurl } from './purl';
import type { SbomImage, SbomInput } from './types';

const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
const licenseFactory = new Contrib.License.Factories.LicenseFactory(assertSpdxExpression);

function propertiesOf(entries: NamedValue[]): Models.PropertyRepository {
  return new Models.PropertyRepository(entries.map(([name, value]) => new Models.Property(name, value)));
}

/** SPDX ids where every licence is one, else one expression when they all form one, else names (ids where recognised). */
function licensesOf(licenses: readonly string[]): Models.LicenseRepository {
  const stated = statedLicenses(licenses);
  const ids = stated.map((license) => {
    try {
      return licenseFactory.makeSpdxLicense(license);
    } catch {
      return undefined;
    }
  });
  if (ids.every((id) => id !== undefined)) return new Models.LicenseRepository(ids);
  const expression = combinedSpdxExpression(stated, { allowRefs: true });
  // CycloneDX allows either one expression or a list of licences, never both.
  if (expression !== undefined) return new Models.LicenseRepository([licenseFactory.makeExpression(expression)]);
  return new Models.LicenseRepository(stated.map((license) => licenseFactory.makeDisjunctive(license)));
}

function imageComponentOf(image: SbomImage, purl: string): Models.Component {
  return new Models.Component(Enums.ComponentType.Container, `${image.registry}/${image.remote}`, {
    bomRef: purl,
    purl,
    version: image.digest,
    properties: propertiesOf(imageProperties(image)),
  });
}

function osComponentOf(os: OsRelease, bomRef: string): Models.Component {
  return new Models.Component(Enums.ComponentType.OperatingSystem, os.id, {
    bomRef,
    version: os.versionId || undefined,
    description: os.prettyName,
  });
}

function packageComponentOf(pkg: Package, bomRef: string): Models.Component {
  return new Models.Component(Enums.ComponentType.Library, pkg.name, {
    bomRef,
    version: pkg.version,
    purl: pkg.purl || undefined,
    licenses: licensesOf(pkg.licenses),
    properties: propertiesOf(packageProperties(pkg)),
  });
}

/** A CycloneDX 1.6 JSON document: the image as metadata.component, depending on every package and on its OS. */
export function renderCycloneDx(input: SbomInput): object {
  const { image, inventory, tool } = input;
  const purl = imagePurl(image);
  const imageComponent = imageComponentOf(image, purl);
  const osRef = inventory.os ? `os:${inventory.os.id}${inventory.os.versionId ? `@${inventory.os.versionId}` : ''}` : undefined;
  const refs = uniqueIds(
    inventory.packages.map((pkg) => pkg.purl || `${pkg.purlType}:${pkg.name}@${pkg.version}`),
    '#',
    osRef ? [purl, osRef] : [purl],
  );

  const components: Models.Component[] = [];
  if (inventory.os && osRef) components.push(osComponentOf(inventory.os, osRef));
  inventory.packages.forEach((pkg, index) => {
    components.push(packageComponentOf(pkg, refs[index] as string));
  });
  for (const component of components) imageComponent.dependencies.add(component.bomRef);

  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${input.serialNumber ?? randomUUID()}`,
    components: new Models.ComponentRepository(components),
    metadata: new Models.Metadata({
      timestamp: input.created,
      tools: new Models.Tools({
        components: new Models.ComponentRepository([new Models.Component(Enums.ComponentType.Application, tool.name, { version: tool.version })]),
      }),
      component: imageComponent,
      properties: propertiesOf(inventoryProperties(inventory)),
    }),
  });
  return JSON.parse(serializer.serialize(bom)) as object;
}
