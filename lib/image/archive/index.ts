export {
  ArchiveImageSource,
  type ArchiveSourceOptions,
  type ArchiveSpec,
  type ArchiveTransport,
  archiveReference,
  detectArchive,
  isArchiveSpec,
  openArchiveSource,
  parseArchiveSpec,
} from './source';
export { DEFAULT_TAR_LIMITS, type TarLimits } from './tar-index';
