import { PackageURL } from 'packageurl-js';
import type { SbomImage } from './types';

/** The image's `pkg:oci` package-url: last repository segment as name, manifest digest as version. */
export function imagePurl(image: SbomImage): string {
  const name = image.remote.slice(image.remote.lastIndexOf('/') + 1).toLowerCase();
  const qualifiers: Record<string, string> = { repository_url: `${image.registry}/${image.remote}` };
  if (image.tag) qualifiers.tag = image.tag;
  return new PackageURL('oci', undefined, name, image.digest, qualifiers).toString();
}
