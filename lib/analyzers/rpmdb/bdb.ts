/**
 * Berkeley DB hash databases as rpm's `Packages` file uses them (db_page.h): a metadata page, hash pages whose
 * items come in key/value pairs, and values too large for a page (every rpm header) kept in overflow page chains.
 */

const HASH_MAGIC = 0x061561;
const PAGE_HEADER_SIZE = 26;
const PAGE_TYPE_HASH_UNSORTED = 2;
const PAGE_TYPE_OVERFLOW = 7;
const PAGE_TYPE_HASH_META = 8;
const PAGE_TYPE_HASH = 13;
/** Hash item kind of a value stored in an overflow chain (H_OFFPAGE). */
const ITEM_OFFPAGE = 3;
const OFFPAGE_ITEM_SIZE = 12;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

export interface BlobsResult {
  blobs: Buffer[];
  notes: string[];
}

export function isBerkeleyHashDb(db: Buffer): boolean {
  if (db.length < 16) return false;
  return db.readUInt32LE(12) === HASH_MAGIC || db.readUInt32BE(12) === HASH_MAGIC;
}

class Pages {
  readonly count: number;
  constructor(
    private readonly db: Buffer,
    readonly size: number,
    private readonly bigEndian: boolean,
  ) {
    this.count = Math.floor(db.length / size);
  }

  page(number: number): Buffer {
    return this.db.subarray(number * this.size, (number + 1) * this.size);
  }

  u16(page: Buffer, at: number): number {
    return this.bigEndian ? page.readUInt16BE(at) : page.readUInt16LE(at);
  }

  u32(page: Buffer, at: number): number {
    return this.bigEndian ? page.readUInt32BE(at) : page.readUInt32LE(at);
  }
}

/** Follows an overflow chain; throws when it leaves the file, loops, or holds other page kinds. */
function overflowValue(pages: Pages, first: number, length: number): Buffer {
  const parts: Buffer[] = [];
  let collected = 0;
  const seen = new Set<number>();
  for (let number = first; number !== 0; ) {
    if (number >= pages.count || seen.has(number)) throw new Error(`overflow chain reaches bad page ${number}`);
    seen.add(number);
    const page = pages.page(number);
    if (page[25] !== PAGE_TYPE_OVERFLOW) throw new Error(`overflow chain reaches page ${number} of type ${page[25]}`);
    // On overflow pages the free-area offset field holds the number of bytes used.
    const used = pages.u16(page, 22);
    if (PAGE_HEADER_SIZE + used > page.length) throw new Error(`overflow page ${number} claims ${used} bytes`);
    parts.push(page.subarray(PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + used));
    collected += used;
    if (collected > length) throw new Error(`overflow chain holds more than the ${length} bytes announced`);
    number = pages.u32(page, 16);
  }
  if (collected !== length) throw new Error(`overflow chain holds ${collected} of ${length} bytes`);
  return Buffer.concat(parts, collected);
}

/** The values of every key/value pair on the hash pages whose value is stored off-page: rpm's header blobs. */
export function berkeleyHashValues(db: Buffer): BlobsResult {
  const notes: string[] = [];
  if (db.length < 512) return { blobs: [], notes: [`Berkeley DB file of ${db.length} bytes is too short`] };
  const bigEndian = db.readUInt32LE(12) !== HASH_MAGIC;
  if (bigEndian && db.readUInt32BE(12) !== HASH_MAGIC) return { blobs: [], notes: ['not a Berkeley DB hash database (bad magic)'] };
  const meta = db.subarray(0, 512);
  const pageSize = bigEndian ? meta.readUInt32BE(20) : meta.readUInt32LE(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) return { blobs: [], notes: [`Berkeley DB page size ${pageSize} is invalid`] };
  if (meta[24] !== 0) return { blobs: [], notes: ['Berkeley DB database is encrypted'] };
  if (meta[25] !== PAGE_TYPE_HASH_META) return { blobs: [], notes: [`Berkeley DB metadata page has type ${meta[25]}, not hash`] };
  const pages = new Pages(db, pageSize, bigEndian);
  const lastPage = bigEndian ? meta.readUInt32BE(32) : meta.readUInt32LE(32);
  if (lastPage >= pages.count) notes.push(`Berkeley DB file is truncated: last page ${lastPage}, ${pages.count} pages present`);

  const blobs: Buffer[] = [];
  const lastReadable = Math.min(lastPage, pages.count - 1);
  let hashPages = 0;
  for (let number = 1; number <= lastReadable; number++) {
    const page = pages.page(number);
    const type = page[25];
    if (type !== PAGE_TYPE_HASH && type !== PAGE_TYPE_HASH_UNSORTED) continue;
    hashPages++;
    const entries = pages.u16(page, 20);
    if (PAGE_HEADER_SIZE + entries * 2 > pageSize) {
      notes.push(`hash page ${number} claims ${entries} entries`);
      continue;
    }
    // Entries alternate key, value; only values matter.
    for (let index = 1; index < entries; index += 2) {
      const at = pages.u16(page, PAGE_HEADER_SIZE + index * 2);
      if (at + OFFPAGE_ITEM_SIZE > pageSize || page[at] !== ITEM_OFFPAGE) continue;
      try {
        blobs.push(overflowValue(pages, pages.u32(page, at + 4), pages.u32(page, at + 8)));
      } catch (err) {
        notes.push(`hash page ${number} entry ${index}: ${(err as Error).message}`);
      }
    }
  }
  // Even an empty hash database has its first bucket page: none at all is a damaged metadata page or file.
  if (hashPages === 0 && notes.length === 0) notes.push(`Berkeley DB file has no hash pages among its ${lastReadable + 1} pages`);
  return { blobs, notes };
}
