/** The ScanImage request body, read the way grpc-gateway's protojson reads it. */
import * as z from 'zod/mini';
import { GrpcCode, RuntimeError, invalidArgument } from './errors';
import { parseDuration } from '../service/snoozes';
import type { V1ScanImageRequest } from './types';

/** Decoding failures carry protojson's own text, without the `: invalid arguments` suffix, as the gateway answers them. */
function decodeError(reason: string): RuntimeError {
  return new RuntimeError(GrpcCode.InvalidArgument, `proto: ${reason}`);
}

/** Line and column (1-based) of a character offset, as protojson reports positions. */
function position(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}:${column}`;
}

function firstToken(text: string, offset: number): string {
  const match = /^(?:[[\]{}:,]|"(?:[^"\\]|\\.)*"?|[^\s[\]{}:,"]+)/.exec(text.slice(offset));
  return match ? match[0].slice(0, 40) : '';
}

/**
 * Parses a request body as JSON. An empty body is the empty request (grpc-gateway treats EOF so);
 * malformed JSON, or a body that is not a JSON object, is InvalidArgument.
 */
export function parseJsonBody(text: string | Buffer | undefined | null): unknown {
  const body = text === undefined || text === null ? '' : typeof text === 'string' ? text : text.toString('utf8');
  const start = body.search(/\S/);
  if (start < 0) return {};
  if (body[start] !== '{') {
    throw decodeError(`syntax error (${position(body, start)}): unexpected token ${firstToken(body, start)}`);
  }
  try {
    return JSON.parse(body);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    const where = at ? ` (${position(body, Number(at[1]))})` : '';
    const reason = message.replace(/\s*(?:in JSON )?at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    throw decodeError(`syntax error${where}: ${reason || 'invalid JSON'}`);
  }
}

const optionalString = z.nullish(z.string());
const optionalBool = z.nullish(z.boolean());

/** Unknown keys are dropped (z.object strips them); null reads as the field's default, as in protojson. */
const requestSchema = z.object({
  imageName: optionalString,
  image_name: optionalString,
  force: optionalBool,
  includeSnoozed: optionalBool,
  include_snoozed: optionalBool,
  cluster: optionalString,
});

/** Each field's JSON name and proto name; a body naming a field twice is rejected, as protojson does. */
const FIELDS = [
  ['imageName', 'image_name'],
  ['force', 'force'],
  ['includeSnoozed', 'include_snoozed'],
  ['cluster', 'cluster'],
] as const;

const FIELD_KIND: Record<string, string> = {
  imageName: 'string',
  image_name: 'string',
  cluster: 'string',
  force: 'bool',
  includeSnoozed: 'bool',
  include_snoozed: 'bool',
};

function tokenOf(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value).slice(0, 60);
  if (Array.isArray(value)) return '[';
  if (value !== null && typeof value === 'object') return '{';
  return String(value);
}

/**
 * A V1ScanImageRequest from a decoded JSON body: camelCase and snake_case keys, unknown keys ignored, wrong types
 * and non-object bodies rejected with InvalidArgument, and an empty image name refused as StackRox refuses it.
 */
export function parseScanImageRequest(body: unknown): V1ScanImageRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw decodeError(`syntax error: unexpected token ${tokenOf(body)}`);
  }
  const record = body as Record<string, unknown>;
  const parsed = requestSchema.safeParse(record);
  if (!parsed.success) {
    const key = String(parsed.error.issues[0]?.path[0] ?? '');
    throw decodeError(`invalid value for ${FIELD_KIND[key] ?? 'a'} field ${key}: ${tokenOf(record[key])}`);
  }
  for (const [json, proto] of FIELDS) {
    if (json !== proto && record[json] !== undefined && record[proto] !== undefined) {
      throw decodeError(`duplicate field "${proto}"`);
    }
  }
  const fields = parsed.data;
  const request: V1ScanImageRequest = {
    imageName: fields.imageName ?? fields.image_name ?? '',
    force: fields.force ?? false,
    includeSnoozed: fields.includeSnoozed ?? fields.include_snoozed ?? false,
    cluster: fields.cluster ?? '',
  };
  if (request.imageName === '') throw invalidArgument('image name must be specified');
  return request;
}

/** A body that must be a JSON object; anything else is refused as protojson refuses it. */
function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw decodeError(`syntax error: unexpected token ${tokenOf(body)}`);
  }
  return body as Record<string, unknown>;
}

/** `repeated string cves`: absent or null is the empty list; a non-list, or a member that is not a string, is refused. */
function cvesField(record: Record<string, unknown>): string[] {
  const value = record.cves;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw decodeError(`invalid value for string field cves: ${tokenOf(value)}`);
  const bad = value.find((item) => typeof item !== 'string');
  if (bad !== undefined) throw decodeError(`invalid value for string field cves: ${tokenOf(bad)}`);
  return value as string[];
}

/** ImageCVEService.SuppressCVEs: `{"cves": [...], "duration": "86400s"}`; the JSON and proto names coincide. */
export interface SuppressCvesRequest {
  cves: string[];
  /** The google.protobuf.Duration in milliseconds; 0 when absent (indefinitely). Negative values are passed on. */
  durationMs: number;
}

export function parseSuppressCvesRequest(body: unknown): SuppressCvesRequest {
  const record = objectBody(body);
  const cves = cvesField(record);
  const durationMs = parseDuration(record.duration);
  if (durationMs === undefined) throw decodeError(`invalid google.protobuf.Duration value ${tokenOf(record.duration)}`);
  return { cves, durationMs };
}

/** ImageCVEService.UnsuppressCVEs: `{"cves": [...]}`. */
export function parseUnsuppressCvesRequest(body: unknown): { cves: string[] } {
  return { cves: cvesField(objectBody(body)) };
}

function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * A storage.SignatureIntegration body with proto names (`public_key_pem_enc`) read as JSON names
 * (`publicKeyPemEnc`), as protojson accepts both; the values are checked by the service.
 */
export function parseSignatureIntegrationBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(parseSignatureIntegrationBody);
  if (typeof body !== 'object' || body === null) return body;
  const named: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = camelCase(key);
    if (name in named) throw decodeError(`duplicate field "${key}"`);
    named[name] = parseSignatureIntegrationBody(value);
  }
  return named;
}
