import { idAndVersion, type Distribution } from './types';
import { rpmDistribution } from './enterprise-linux';

/** rpm distributions that are detected and reported, but have no advisory source yet. */
function rpmWithoutFeed(name: string, ids: string[], purlNamespace: string): Distribution {
  return { ...rpmDistribution(name, ids, purlNamespace), operatingSystem: idAndVersion };
}

export const amazonLinux = rpmWithoutFeed('Amazon Linux', ['amzn'], 'amzn');
export const fedora = rpmWithoutFeed('Fedora', ['fedora'], 'fedora');
export const suse = rpmWithoutFeed('SUSE Linux Enterprise', ['sles', 'sled', 'sle-micro'], 'suse');
export const opensuse = rpmWithoutFeed('openSUSE', ['opensuse', 'opensuse-leap', 'opensuse-tumbleweed'], 'opensuse');
export const azureLinux = rpmWithoutFeed('Azure Linux', ['azurelinux'], 'azurelinux');
export const mariner = rpmWithoutFeed('CBL-Mariner', ['mariner'], 'mariner');
export const photon = rpmWithoutFeed('Photon OS', ['photon'], 'photon');
