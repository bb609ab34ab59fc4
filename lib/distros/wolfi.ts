import { idAndVersion, OSV_RATING_FIELDS, purlDistroOf, type Distribution } from './types';

/** Wolfi, Chainguard and MinimOS: rolling apk distributions with one advisory ecosystem each and no releases. */
function rollingApk(name: string, id: string): Distribution {
  return {
    name,
    ids: [id],
    manager: 'apk',
    purlNamespace: id,
    versionScheme: 'apk',
    osvEcosystems: [name],
    releaseEcosystem: () => name,
    advisoryPackage: 'source-name',
    ratingFields: OSV_RATING_FIELDS,
    operatingSystem: idAndVersion,
    purlDistro: purlDistroOf,
    feeds: [`osv:${name}`],
  };
}

export const wolfi = rollingApk('Wolfi', 'wolfi');
export const chainguard = rollingApk('Chainguard', 'chainguard');
export const minimos = rollingApk('MinimOS', 'minimos');
