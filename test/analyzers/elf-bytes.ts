/** An unsigned integer of `bytes` bytes (2, 4 or 8) in the given byte order, as ELF headers store them. */
export function uint(value: number, bytes: number, littleEndian = true): Buffer {
  const out = Buffer.alloc(bytes);
  if (bytes === 8) {
    if (littleEndian) out.writeBigUInt64LE(BigInt(value));
    else out.writeBigUInt64BE(BigInt(value));
  } else if (bytes === 4) {
    if (littleEndian) out.writeUInt32LE(value);
    else out.writeUInt32BE(value);
  } else if (littleEndian) out.writeUInt16LE(value);
  else out.writeUInt16BE(value);
  return out;
}
