import type { BlobsResult } from './bdb';

/**
 * A read-only walk of one table of an SQLite 3 database file (sqlite.org/fileformat2.html): the schema table on
 * page 1 names the table's root page; its table b-tree is walked leaf by leaf, spilled payloads are gathered from
 * their overflow chains, and one column of each record is returned. Analysers are synchronous, which rules out the
 * WebAssembly SQLite builds (their start-up is asynchronous); rpm only needs this much of the format.
 * Content still in a `-wal` file is not seen.
 */

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const FILE_HEADER_SIZE = 100;
const PAGE_INTERIOR_TABLE = 0x05;
const PAGE_LEAF_TABLE = 0x0d;

type SqlValue = null | number | string | Buffer;

export function isSqlite(db: Buffer): boolean {
  return db.length >= MAGIC.length && db.subarray(0, MAGIC.length).equals(MAGIC);
}

class Cursor {
  constructor(
    readonly data: Buffer,
    public at: number,
  ) {}

  /** A big-endian base-128 varint of up to nine bytes (the ninth contributes all eight bits). */
  varint(): number {
    let value = 0;
    for (let index = 0; index < 9; index++) {
      if (this.at >= this.data.length) throw new Error('varint runs past the page');
      const byte = this.data[this.at++];
      if (index === 8) return value * 256 + byte;
      value = value * 128 + (byte & 0x7f);
      if (byte < 0x80) return value;
    }
    return value;
  }
}

class SqliteFile {
  readonly pageSize: number;
  readonly usable: number;
  readonly pageCount: number;

  constructor(readonly db: Buffer) {
    const rawSize = db.readUInt16BE(16);
    this.pageSize = rawSize === 1 ? 65536 : rawSize;
    if (this.pageSize < 512 || (this.pageSize & (this.pageSize - 1)) !== 0) throw new Error(`page size ${this.pageSize} is invalid`);
    this.usable = this.pageSize - db[20];
    if (this.usable < 480) throw new Error(`usable page size ${this.usable} is invalid`);
    this.pageCount = Math.floor(db.length / this.pageSize);
  }

  page(number: number): Buffer {
    if (number < 1 || number > this.pageCount) throw new Error(`page ${number} is outside the file (${this.pageCount} pages)`);
    return this.db.subarray((number - 1) * this.pageSize, number * this.pageSize);
  }

  /** The full payload of a leaf cell: its local bytes and, when it spills, its overflow chain. */
  payload(page: Buffer, cursor: Cursor, size: number): Buffer {
    const maxLocal = this.usable - 35;
    if (size <= maxLocal) {
      if (cursor.at + size > page.length) throw new Error('cell payload runs past the page');
      return page.subarray(cursor.at, cursor.at + size);
    }
    if (size > this.db.length) throw new Error(`payload of ${size} bytes is larger than the file`);
    const minLocal = Math.floor(((this.usable - 12) * 32) / 255) - 23;
    const spill = minLocal + ((size - minLocal) % (this.usable - 4));
    const local = spill <= maxLocal ? spill : minLocal;
    if (cursor.at + local + 4 > page.length) throw new Error('cell payload runs past the page');
    const parts = [page.subarray(cursor.at, cursor.at + local)];
    let remaining = size - local;
    let next = page.readUInt32BE(cursor.at + local);
    const seen = new Set<number>();
    while (remaining > 0) {
      if (next === 0 || seen.has(next)) throw new Error('overflow chain ends early or loops');
      seen.add(next);
      const overflow = this.page(next);
      const take = Math.min(remaining, this.usable - 4);
      parts.push(overflow.subarray(4, 4 + take));
      remaining -= take;
      next = overflow.readUInt32BE(0);
    }
    return Buffer.concat(parts, size);
  }

  /** Every record payload of the table b-tree rooted at `root`, in rowid order. */
  *rows(root: number): Generator<Buffer> {
    const stack = [root];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const number = stack.pop()!;
      if (seen.has(number)) throw new Error(`b-tree page ${number} is reached twice`);
      seen.add(number);
      const page = this.page(number);
      const headerAt = number === 1 ? FILE_HEADER_SIZE : 0;
      const type = page[headerAt];
      const cells = page.readUInt16BE(headerAt + 3);
      if (type === PAGE_INTERIOR_TABLE) {
        const children: number[] = [];
        for (let index = 0; index < cells; index++) children.push(page.readUInt32BE(this.cellOffset(page, headerAt + 12, index)));
        children.push(page.readUInt32BE(headerAt + 8));
        // Pushed in reverse so that the leftmost child is walked first.
        for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]);
      } else if (type === PAGE_LEAF_TABLE) {
        for (let index = 0; index < cells; index++) {
          const cursor = new Cursor(page, this.cellOffset(page, headerAt + 8, index));
          const size = cursor.varint();
          cursor.varint(); // rowid
          yield this.payload(page, cursor, size);
        }
      } else {
        throw new Error(`page ${number} has type ${type}, not a table b-tree page`);
      }
    }
  }

  private cellOffset(page: Buffer, pointersAt: number, index: number): number {
    const pointer = pointersAt + index * 2;
    if (pointer + 2 > page.length) throw new Error('cell pointer array runs past the page');
    const offset = page.readUInt16BE(pointer);
    if (offset < pointersAt || offset >= page.length) throw new Error(`cell offset ${offset} is outside the page`);
    return offset;
  }
}

/** The values of a record (header of serial types, then the values). */
function decodeRecord(record: Buffer): SqlValue[] {
  const header = new Cursor(record, 0);
  const headerSize = header.varint();
  if (headerSize > record.length) throw new Error('record header runs past the record');
  const types: number[] = [];
  while (header.at < headerSize) types.push(header.varint());
  const values: SqlValue[] = [];
  let at = headerSize;
  const take = (length: number): Buffer => {
    if (at + length > record.length) throw new Error('record value runs past the record');
    const value = record.subarray(at, at + length);
    at += length;
    return value;
  };
  for (const type of types) {
    if (type === 0) values.push(null);
    else if (type >= 1 && type <= 6) {
      const bytes = take([0, 1, 2, 3, 4, 6, 8][type]);
      values.push(bytes.length === 8 ? Number(bytes.readBigInt64BE(0)) : bytes.readIntBE(0, bytes.length));
    } else if (type === 7) values.push(take(8).readDoubleBE(0));
    else if (type === 8 || type === 9) values.push(type - 8);
    else if (type >= 12) {
      const bytes = take(Math.floor((type - 12) / 2));
      values.push(type % 2 === 0 ? bytes : bytes.toString('utf8'));
    } else throw new Error(`record uses reserved serial type ${type}`);
  }
  return values;
}

/** The root page of a table, from the schema table on page 1. */
function tableRoot(file: SqliteFile, table: string): number | undefined {
  for (const row of file.rows(1)) {
    const [type, name, , root] = decodeRecord(row);
    if (type === 'table' && typeof name === 'string' && name.toLowerCase() === table.toLowerCase() && typeof root === 'number') return root;
  }
  return undefined;
}

/** The BLOB values of one column of a table; rows whose column holds something else are counted in a note. */
export function sqliteTableBlobs(db: Buffer, table: string, column: number): BlobsResult {
  if (db.length < FILE_HEADER_SIZE || !isSqlite(db)) return { blobs: [], notes: ['not an SQLite database (bad magic)'] };
  const blobs: Buffer[] = [];
  const notes: string[] = [];
  let skipped = 0;
  try {
    const file = new SqliteFile(db);
    const root = tableRoot(file, table);
    if (root === undefined) return { blobs, notes: [`SQLite database has no ${table} table`] };
    for (const row of file.rows(root)) {
      const value = decodeRecord(row)[column];
      if (Buffer.isBuffer(value)) blobs.push(value);
      else skipped++;
    }
  } catch (err) {
    notes.push(`SQLite database is damaged: ${(err as Error).message}`);
  }
  if (skipped > 0) notes.push(`${skipped} ${table} row(s) without a blob in column ${column}`);
  return { blobs, notes };
}
