import type { BlobsResult } from './bdb';

/**
 * rpm's "ndb" Packages.db (SUSE): a 32-byte header, slot pages of 16-byte slots (the header takes the first two),
 * and blobs addressed in 16-byte blocks, each a 16-byte blob header followed by the header blob. Little-endian.
 */

const HEADER_MAGIC = 0x506d7052; // 'RpmP'
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_MAGIC = 0x53626c42; // 'BlbS'
const SLOT_PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const BLOB_HEADER_SIZE = 16;
/** rpm's sanity limit on slot pages. */
const MAX_SLOT_PAGES = 2048;

export function isNdb(db: Buffer): boolean {
  return db.length >= 4 && db.readUInt32LE(0) === HEADER_MAGIC;
}

export function ndbBlobs(db: Buffer): BlobsResult {
  if (db.length < 32 || !isNdb(db)) return { blobs: [], notes: ['not an rpm ndb database (bad magic)'] };
  const version = db.readUInt32LE(4);
  const slotPages = db.readUInt32LE(12);
  if (version !== 0) return { blobs: [], notes: [`unsupported ndb version ${version}`] };
  if (slotPages === 0 || slotPages > MAX_SLOT_PAGES) return { blobs: [], notes: [`ndb header claims ${slotPages} slot pages`] };
  const slotsEnd = slotPages * SLOT_PAGE_SIZE;
  if (slotsEnd > db.length) return { blobs: [], notes: [`ndb file is truncated: ${slotPages} slot pages need ${slotsEnd} bytes, file has ${db.length}`] };

  const blobs: Buffer[] = [];
  const notes: string[] = [];
  for (let at = 2 * SLOT_SIZE; at < slotsEnd; at += SLOT_SIZE) {
    if (db.readUInt32LE(at) !== SLOT_MAGIC) {
      notes.push(`ndb slot at byte ${at} has a bad magic; the rest of the slots were not read`);
      break;
    }
    const pkgIndex = db.readUInt32LE(at + 4);
    if (pkgIndex === 0) continue;
    const blockOffset = db.readUInt32LE(at + 8);
    const blockCount = db.readUInt32LE(at + 12);
    const start = blockOffset * BLOCK_SIZE;
    const end = start + blockCount * BLOCK_SIZE;
    if (start < slotsEnd || start + BLOB_HEADER_SIZE > db.length || end > db.length) {
      notes.push(`ndb package ${pkgIndex}: blob at block ${blockOffset} (${blockCount} blocks) lies outside the file`);
      continue;
    }
    if (db.readUInt32LE(start) !== BLOB_MAGIC || db.readUInt32LE(start + 4) !== pkgIndex) {
      notes.push(`ndb package ${pkgIndex}: block ${blockOffset} does not hold its blob`);
      continue;
    }
    const length = db.readUInt32LE(start + 12);
    if (start + BLOB_HEADER_SIZE + length > end) {
      notes.push(`ndb package ${pkgIndex}: blob of ${length} bytes overruns its ${blockCount} blocks`);
      continue;
    }
    blobs.push(db.subarray(start + BLOB_HEADER_SIZE, start + BLOB_HEADER_SIZE + length));
  }
  return { blobs, notes };
}
