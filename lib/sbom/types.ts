import type { Inventory } from '../index/types';

/** The scanned image as an SBOM names it. */
export interface SbomImage {
  /** `registry/remote:tag` or `registry/remote@digest`. */
  fullName: string;
  registry: string;
  remote: string;
  tag?: string;
  /** Manifest digest, `sha256:…`. */
  digest: string;
  architecture?: string;
  os?: string;
  /** os-release pretty name, or `id:version`. */
  distribution?: string;
}

export interface SbomInput {
  image: SbomImage;
  inventory: Inventory;
  tool: { name: string; version: string };
  /** Document creation time. */
  created: Date;
  /** A UUID, for deterministic tests; a random one by default. */
  serialNumber?: string;
}
