import { idAndVersion, OSV_RATING_FIELDS, purlDistroOf, type Distribution } from './types';

/** rpm distributions that are detected and reported, but have no advisory source yet. */
function rpmWithoutFeed(name: string, ids: string[], purlNamespace: string): Distribution {
  return {
    name,
    ids,
    manager: 'rpm',
    purlNamespace,
    versionScheme: 'rpm',
    osvEcosystems: [],
    releaseEcosystem: () => undefined,
    advisoryPackage: 'binary',
    ratingFields: OSV_RATING_FIELDS,
    operatingSystem: idAndVersion,
    purlDistro: purlDistroOf,
  };
}

export const amazonLinux = rpmWithoutFeed('Amazon Linux', ['amzn'], 'amzn');
export const fedora = rpmWithoutFeed('Fedora', ['fedora'], 'fedora');
export const suse = rpmWithoutFeed('SUSE Linux Enterprise', ['sles', 'sled', 'sle-micro'], 'suse');
export const opensuse = rpmWithoutFeed('openSUSE', ['opensuse', 'opensuse-leap', 'opensuse-tumbleweed'], 'opensuse');
export const azureLinux = rpmWithoutFeed('Azure Linux', ['azurelinux'], 'azurelinux');
export const mariner = rpmWithoutFeed('CBL-Mariner', ['mariner'], 'mariner');
export const photon = rpmWithoutFeed('Photon OS', ['photon'], 'photon');
