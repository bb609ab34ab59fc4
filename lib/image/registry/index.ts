export { RegistryClient, type RegistryClientOptions } from './client';
export {
  CredentialChain,
  DockerConfigCredentials,
  StaticCredentials,
  credentialsFromEnv,
  credentialsKeyHost,
  defaultCredentials,
  dockerConfigPath,
  parseDockerConfig,
  type CredentialProvider,
  type RegistryCredentials,
} from './credentials';
export { DOCKER_HUB_API_HOST, insecureRegistriesFromEnv, registryBaseUrl } from './endpoint';
export { DefaultHostPolicy, isBlockedAddress, normaliseRegistryHost, type HostPolicy, type HostPolicyOptions } from './host-policy';
export { MANIFEST_ACCEPT, MEDIA_TYPES, normalisePlatform, parseManifest, selectPlatform } from './manifest';
export { parseChallenges, type Challenge } from './challenge';
export { VerifyingStream, digestOf } from './digest';
export { listReferrers, parseReferrersIndex, referrersTag, type Referrer, type ReferrersListing, type ReferrersRegistry } from './referrers';
