import { idAndVersion, OSV_RATING_FIELDS, purlDistroOf, type Distribution } from './types';

/** Wolfi and Chainguard: rolling apk distributions with one advisory ecosystem each and no releases. */
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
    defaultFeed: { kind: 'osv', ecosystem: name },
  };
}

export const wolfi = rollingApk('Wolfi', 'wolfi');
export const chainguard = rollingApk('Chainguard', 'chainguard');
