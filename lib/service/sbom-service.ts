/** The SBOM use case: the stored (or freshly scanned) inventory of an image, rendered as SPDX or CycloneDX. */
import { formatOperatingSystem } from '../analyzers';
import { renderSpdx } from '../sbom/spdx';
import type { SbomInput } from '../sbom/types';
import { parseImageName } from '../image/reference';
import type { StorageImageName, V1ScanImageRequest } from '../stackrox/types';
import type { StoredScan } from './image-store';
import { imageName, type ImageService } from './image-service';

/** What an SBOM is made of, from a stored scan, naming the image as it was asked for (else as first stored). */
export function sbomInputOf(stored: StoredScan, tool: { name: string; version: string }, created: Date, requested?: StorageImageName): SbomInput {
  const { image, inventory } = stored;
  const name = requested ?? image.name ?? image.names[0];
  const os = inventory.os;
  return {
    image: {
      fullName: name?.fullName ?? image.id,
      registry: name?.registry ?? '',
      remote: name?.remote ?? '',
      ...(name?.tag ? { tag: name.tag } : {}),
      digest: image.id,
      ...(os ? { os: 'linux', distribution: os.prettyName ?? formatOperatingSystem(os) } : {}),
    },
    // A language package whose files an OS package owns is listed once, as that OS package.
    inventory: { ...inventory, packages: inventory.packages.filter((p) => !p.owner) },
    tool,
    created,
  };
}

export class SbomService {
  constructor(
    private readonly images: ImageService,
    private readonly tool: { name: string; version: string },
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** What an SBOM of the image the request names is made of (`imageName`, `force`, `cluster` as ScanImage takes them). */
  async input(request: V1ScanImageRequest, signal?: AbortSignal): Promise<SbomInput> {
    const stored = await this.images.inventoryOf(request, signal);
    return sbomInputOf(stored, this.tool, this.now(), imageName(parseImageName(request.imageName)));
  }

  /** The SPDX 2.3 document StackRox answers `roxctl image sbom` with. CycloneDX is rendered by callers that ask for it, keeping its library out of the API bundle. */
  async spdx(request: V1ScanImageRequest, signal?: AbortSignal): Promise<object> {
    return renderSpdx(await this.input(request, signal));
  }
}
