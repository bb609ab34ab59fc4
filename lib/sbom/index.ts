export { renderCycloneDx } from './cyclonedx';
export { imagePurl } from './purl';
export { renderSpdx } from './spdx';
export type { SbomImage, SbomInput } from './types';
