export { readLayer, DEFAULT_MAX_UNCOMPRESSED_BYTES, DEFAULT_MAX_WANTED_BYTES } from './reader';
export { normaliseImagePath, parseWhiteout } from './paths';
export { decompressStream, detectCompression, type Compression, type DecompressedStream } from './decompress';
export { LayerTooLargeError, LayerCorruptError, isLayerContentError, formatBytes, type LayerCorruption } from './errors';
export type { FileSelector, ImagePath, LayerContents, LayerFile, LayerSymlink, ReadLayerOptions } from './types';
