import { invalidArgument } from '../errors';
import type { ImageReference } from './types';

/** Docker Hub's canonical registry name; `index.docker.io` and `registry-1.docker.io` are aliases of it. */
export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io']);
const OFFICIAL_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const MAX_REPOSITORY_LENGTH = 255;

// The grammar of docker/distribution's reference package, written out as regular expressions.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;

/** Hex lengths of the digest algorithms an image reference may carry (those go-digest registers). */
export const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Checks a `algorithm:hex` digest; returns the reason it is invalid, worded as go-digest words it, or undefined. */
export function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon + 1 === digest.length) return 'invalid checksum digest format';
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) {
    return new RegExp(`^${DIGEST}$`).test(digest) ? 'unsupported digest algorithm' : 'invalid checksum digest format';
  }
  if (encoded.length !== length) return 'invalid checksum digest length';
  return /^[a-f0-9]+$/.test(encoded) ? undefined : 'invalid checksum digest format';
}

/** Longest part of a refused id quoted back in an error message. */
const MAX_QUOTED_ID = 80;

function quoted(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_ID ? `${text.slice(0, MAX_QUOTED_ID)}…` : text);
}

/**
 * Checks a StackRox image id, the image's manifest digest: `sha256:` and 64 lower-case hex digits, or the 64 digits
 * alone (`sha384:`/`sha512:` ids with their own lengths too). Returns the id as given; throws InvalidArgument for
 * anything else, so it never reaches a store (a 5,000-character id is not a key to look up). The message quotes a
 * long id shortened, with its length.
 */
export function parseImageId(id: string): string {
  if (typeof id !== 'string' || id === '') throw invalidArgument('image id must be specified');
  if (IDENTIFIER.test(id)) return id;
  const problem = id.includes(':') ? digestProblem(id) : 'want sha256:<64 hex digits> or the 64 hex digits alone';
  if (problem !== undefined) {
    throw invalidArgument(`invalid image id ${quoted(id)}${id.length > MAX_QUOTED_ID ? ` (${id.length} characters)` : ''}: ${problem}`);
  }
  return id;
}

/** Splits a familiar name into registry and remainder the way docker does (splitDockerDomain). */
function splitRegistry(name: string): { registry: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { registry: DOCKER_HUB, remainder: OFFICIAL_PREFIX + name };
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let registry: string;
  let remainder: string;
  if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    // Upper case is never valid in a repository, so docker takes such a first component to be a host.
    registry = DOCKER_HUB_ALIASES.has(first) ? DOCKER_HUB : first;
    remainder = rest;
  } else {
    registry = DOCKER_HUB;
    remainder = name;
  }
  if (registry === DOCKER_HUB && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { registry, remainder };
}

/** Parses a normalised `registry/remainder` string; returns the reason it is invalid or the parts. */
function parseCanonical(text: string): string | { registry: string; remote: string; tag: string; digest?: string } {
  const match = REFERENCE.exec(text);
  if (!match) {
    const lower = text.toLowerCase();
    if (lower !== text && REFERENCE.test(lower)) return 'invalid reference format: repository name must be lowercase';
    return 'invalid reference format';
  }
  const [, name, tag, digest] = match;
  const parts = ANCHORED_NAME.exec(name);
  if (!parts?.[1]) return 'invalid reference format';
  const remote = parts[2];
  if (remote.length > MAX_REPOSITORY_LENGTH) return `repository name must not be more than ${MAX_REPOSITORY_LENGTH} characters`;
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem) return problem;
  }
  return { registry: parts[1], remote, tag: tag ?? '', digest };
}

function invalidName(name: string, reason: string) {
  return invalidArgument(`error parsing image name '${name}': ${reason}`);
}

/**
 * Normalises an image name by docker's reference rules: Docker Hub by default, `library/` for its one-component
 * repositories, `latest` when neither tag nor digest is given. Throws RuntimeError InvalidArgument otherwise.
 */
export function parseImageName(name: string): ImageReference {
  if (typeof name !== 'string' || name.trim() === '') throw invalidArgument('image name must be specified');
  if (IDENTIFIER.test(name)) {
    throw invalidName(name, `invalid repository name (${name}), cannot specify 64-byte hexadecimal strings`);
  }
  const { registry, remainder } = splitRegistry(name);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator < 0 ? remainder : remainder.slice(0, tagSeparator);
  if (remote.toLowerCase() !== remote) throw invalidName(name, 'invalid reference format: repository name must be lowercase');

  const parsed = parseCanonical(`${registry}/${remainder}`);
  if (typeof parsed === 'string') throw invalidName(name, parsed);
  const tag = parsed.tag || (parsed.digest ? '' : DEFAULT_TAG);
  return formatReference({ registry: parsed.registry, remote: parsed.remote, tag, digest: parsed.digest });
}

/** Builds an ImageReference with its StackRox fullName: `registry/remote:tag`, or `registry/remote@digest` without a tag. */
export function formatReference(parts: { registry: string; remote: string; tag: string; digest?: string }): ImageReference {
  const base = `${parts.registry}/${parts.remote}`;
  const fullName = parts.tag ? `${base}:${parts.tag}` : `${base}@${parts.digest ?? ''}`;
  const reference: ImageReference = { registry: parts.registry, remote: parts.remote, tag: parts.tag, fullName };
  if (parts.digest) reference.digest = parts.digest;
  return reference;
}
