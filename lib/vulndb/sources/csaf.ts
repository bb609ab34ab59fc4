/** Reading CSAF 2.0 documents as vendors publish them: loose JSON, a product tree, statuses by product id. */
import { compareRpmEvrs } from '../../versions/rpm';
import { readBounded } from '../advisory-files';
import type { Osv } from '../osv';
import type { FeedFormat } from './types';

export type Json = Record<string, unknown>;

export interface CsafProduct {
  product_id?: unknown;
  product_identification_helper?: { cpe?: unknown; purl?: unknown };
}

/** A full product id's relationship: the component (a package) that is part of the platform (a product). */
export interface Relationship {
  component: string;
  platform: string;
}

export interface ProductTree {
  products: Map<string, CsafProduct>;
  relationships: Map<string, Relationship>;
}

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
export const objectOf = (value: unknown): Json => (isObject(value) ? value : {});
export const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The texts of a list; a loop, as it runs for every product id list of every document. */
export function textsOf(value: unknown): string[] {
  const texts: string[] = [];
  if (!Array.isArray(value)) return texts;
  for (const item of value) {
    const text = textOf(item);
    if (text !== undefined) texts.push(text);
  }
  return texts;
}

/** Every product of the branches, however deeply nested (vendors nest them one to three levels). */
function collectProducts(branches: unknown, into: Map<string, CsafProduct>, depth = 0): void {
  if (depth > 16) return;
  for (const branch of listOf(branches)) {
    const product = objectOf(branch).product;
    const id = isObject(product) ? textOf(product.product_id) : undefined;
    if (id && isObject(product)) into.set(id, product as CsafProduct);
    collectProducts(objectOf(branch).branches, into, depth + 1);
  }
}

/** The products and relationships of a `product_tree`; undefined when it is not one. */
export function productTreeOf(value: unknown): ProductTree | undefined {
  if (!isObject(value)) return undefined;
  if (value.branches !== undefined && !Array.isArray(value.branches)) return undefined;
  if (value.relationships !== undefined && !Array.isArray(value.relationships)) return undefined;
  const products = new Map<string, CsafProduct>();
  collectProducts(value.branches, products);
  const relationships = new Map<string, Relationship>();
  for (const entry of listOf(value.relationships)) {
    const relation = objectOf(entry);
    const id = textOf(objectOf(relation.full_product_name).product_id);
    const component = textOf(relation.product_reference);
    const platform = textOf(relation.relates_to_product_reference);
    if (id && component && platform) relationships.set(id, { component, platform });
  }
  return { products, relationships };
}

/** `2025-06-30T09:56:52+00:00` → `2025-06-30T09:56:52Z`; other offsets are converted to UTC. */
export function isoTimestamp(value: unknown): string | undefined {
  const text = textOf(value);
  if (!text || Number.isNaN(Date.parse(text))) return undefined;
  const utc = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:Z|[+-]00:?00)$/.exec(text);
  return utc ? `${utc[1]}Z` : new Date(text).toISOString().replace('.000Z', 'Z');
}

/** The text of the first note of `category` in a `notes` list. */
export function noteOf(owner: Json, category: string): string | undefined {
  const note = listOf(owner.notes).find((n) => textOf(objectOf(n).category) === category);
  return note ? textOf(objectOf(note).text) : undefined;
}

/** The CVSS v3 vector that scores the most of the kept products (per-component scores may differ), else the most products. */
export function cvssVectorOf(vulnerability: Json, keptIds: Set<string>): string | undefined {
  let best: { vector: string; kept: number; all: number } | undefined;
  for (const entry of listOf(vulnerability.scores)) {
    const score = objectOf(entry);
    const vector = textOf(objectOf(score.cvss_v3).vectorString);
    if (!vector) continue;
    const products = textsOf(score.products);
    const kept = products.filter((p) => keptIds.has(p)).length;
    if (!best || kept > best.kept || (kept === best.kept && products.length > best.all)) best = { vector, kept, all: products.length };
  }
  return best?.vector;
}

/** What one document comes to: its record, none (it states nothing to record), or why there is none. */
export type DocumentOutcome = Osv | undefined | { malformed: string };

/** The outcome of a document's text: JSON parsed, then read by `read`. */
export function parsedDocument(text: string, read: (value: unknown) => DocumentOutcome): DocumentOutcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { malformed: `not JSON: ${(err as Error).message}` };
  }
  return read(value);
}

const CSAF_VEX_CATEGORY = /"category"\s*:\s*"csaf_vex"/;

/**
 * One vendor's CSAF VEX documents as `db import` reads them: a JSON object of `document.category` `csaf_vex` whose
 * head bears the vendor's `publisher` mark, read whole (up to `maxBytes`), one record per file.
 */
export function csafVexFormat(name: string, publisher: RegExp, maxBytes: number, record: (text: string) => DocumentOutcome): FeedFormat {
  const format: FeedFormat = {
    name,
    sniff: (head) => /^\uFEFF?\s*\{/.test(head) && CSAF_VEX_CATEGORY.test(head) && publisher.test(head),
    async *parse(input, context) {
      let text: string;
      try {
        text = await readBounded(input, maxBytes);
      } catch (err) {
        context.malformed(`cannot read the document: ${(err as Error).message}`);
        return;
      }
      yield* format.parseText!(text, context);
    },
    *parseText(text, context) {
      const result = record(text);
      if (result && 'malformed' in result) context.malformed(result.malformed);
      else if (result) yield result;
    },
  };
  return format;
}

/** What a vendor says fixes one package: the highest EVR its products name, and the product ids that name it. */
export interface RpmFix {
  fixed?: string;
  fixedIds: string[];
}

/** Keeps `evr` when it is above the fix known so far (its ids beside an equal one); an EVR rpm cannot order is passed over. */
export function keepHighestFix(fix: RpmFix, evr: string, ...ids: string[]): void {
  let order: number;
  try {
    order = fix.fixed === undefined ? 1 : compareRpmEvrs(evr, fix.fixed);
  } catch {
    return;
  }
  if (order > 0) {
    fix.fixed = evr;
    fix.fixedIds = ids;
  } else if (order === 0) fix.fixedIds.push(...ids);
}
