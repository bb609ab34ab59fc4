import type { Inventory, Package } from '../index/types';
import type { SbomImage } from './types';

export type NamedValue = [name: string, value: string];

function present(entries: Array<[string, string | undefined]>): NamedValue[] {
  return entries.filter((entry): entry is NamedValue => entry[1] !== undefined && entry[1] !== '');
}

/** Where lamina found a package: CycloneDX properties, SPDX annotations. */
export function packageProperties(pkg: Package): NamedValue[] {
  return present([
    ['lamina:layer:digest', pkg.layer.digest],
    ['lamina:layer:index', String(pkg.layer.index)],
    ['lamina:location', pkg.location],
    ['lamina:analyzer', pkg.analyzer],
    ['lamina:ecosystem', pkg.ecosystem],
    ['lamina:source:name', pkg.source?.name],
    ['lamina:source:version', pkg.source?.version],
  ]);
}

/** The image's platform and distribution. */
export function imageProperties(image: SbomImage): NamedValue[] {
  return present([
    ['lamina:image:architecture', image.architecture],
    ['lamina:image:os', image.os],
    ['lamina:image:distribution', image.distribution],
  ]);
}

/** Whether the inventory may miss packages (a layer or package database could not be read whole). */
export function inventoryProperties(inventory: Inventory): NamedValue[] {
  return [['lamina:inventory:partial', String(inventory.partial)]];
}
