/** Every advisory source lamina knows, by name, and the ones fetched when none are named. */
import { DEFAULT_OS_SOURCES } from '../../distros';
import { alasSources } from './alas';
import { azureOvalSources } from './azure-oval';
import { fedoraBodhiReleaseSource, fedoraBodhiSource } from './fedora-bodhi';
import { oracleOvalSource } from './oracle-oval';
import { redhatCsafSource } from './redhat-csaf';
import { REDHAT_REPOSITORIES_SOURCE, redhatRepositoriesSource } from './redhat-repositories';
import { osvSource, osvSourceName, type OsvSourceOptions } from './osv-source';
import { suseCsafSource } from './suse-csaf';
import type { AdvisorySource } from './types';

export type { AdvisorySource } from './types';

/** OSV's language ecosystems, fetched by default beside the distributions' feeds. */
export const LANGUAGE_ECOSYSTEMS: readonly string[] = ['npm', 'PyPI', 'Maven', 'Go', 'RubyGems', 'NuGet', 'crates.io', 'Packagist'];

/** What `lamina db update` and the updater function bring when not told otherwise. */
export const DEFAULT_SOURCES: readonly string[] = [...DEFAULT_OS_SOURCES, ...LANGUAGE_ECOSYSTEMS.map(osvSourceName)];

export interface SourceSettings {
  osv?: OsvSourceOptions;
  alas?: Parameters<typeof alasSources>[0];
  redhat?: Parameters<typeof redhatCsafSource>[0];
  redhatRepositories?: Parameters<typeof redhatRepositoriesSource>[0];
  azure?: Parameters<typeof azureOvalSources>[0];
  oracle?: Parameters<typeof oracleOvalSource>[0];
  fedora?: Parameters<typeof fedoraBodhiSource>[0];
  suse?: Parameters<typeof suseCsafSource>[0];
}

/** The vendor sources (everything but OSV, whose sources are made per ecosystem). */
function vendorSources(settings: SourceSettings): AdvisorySource[] {
  return [
    ...alasSources(settings.alas),
    redhatCsafSource(settings.redhat),
    redhatRepositoriesSource(settings.redhatRepositories),
    ...azureOvalSources(settings.azure),
    oracleOvalSource(settings.oracle),
    fedoraBodhiSource(settings.fedora),
    suseCsafSource(settings.suse),
  ];
}

/** Sources that run before another whenever it is named: the data its records are matched with. */
const COMPANIONS = new Map<string, readonly string[]>([['redhat-csaf', [REDHAT_REPOSITORIES_SOURCE]]]);

function withCompanions(names: readonly string[]): string[] {
  return [...new Set(names.flatMap((name) => [...(COMPANIONS.get(name) ?? []), name]))];
}

export class UnknownSourceError extends Error {}

/**
 * The sources named `osv:<ecosystem>` (any OSV ecosystem) or by a vendor source's name; a bare name that is not a
 * vendor source is taken as an OSV ecosystem (`Debian`), as `--ecosystem` always meant.
 */
export function sourcesNamed(names: readonly string[], settings: SourceSettings = {}): AdvisorySource[] {
  const vendor = new Map(vendorSources(settings).map((s) => [s.name, s]));
  return withCompanions(names).map((name) => {
    const known = vendor.get(name);
    if (known) return known;
    const fedoraRelease = fedoraBodhiReleaseSource(name, settings.fedora);
    if (fedoraRelease) return fedoraRelease;
    if (name.startsWith('osv:') && name.length > 4) return osvSource(name.slice(4), settings.osv);
    if (/^[a-z]+-[a-z]+(:|$)|^[a-z]+:/.test(name)) {
      throw new UnknownSourceError(`unknown advisory source "${name}"; known: osv:<ecosystem>, ${[...vendor.keys()].join(', ')}`);
    }
    return osvSource(name, settings.osv);
  });
}
