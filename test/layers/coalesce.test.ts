import { Readable } from 'node:stream';
import { Coalesce } from '../../lib/layers/coalesce';

async function through(chunks: Buffer[], minBytes: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(new Coalesce(minBytes))) out.push(chunk as Buffer);
  return out;
}

describe('Coalesce', () => {
  it('passes every byte in order, in chunks of at least minBytes but the last', async () => {
    const input = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1 + ((i * 37) % 300), i));
    const out = await through(input, 1000);
    expect(Buffer.concat(out).equals(Buffer.concat(input))).toBe(true);
    for (const chunk of out.slice(0, -1)) expect(chunk.length).toBeGreaterThanOrEqual(1000);
  });

  it('passes a large chunk as it is, and nothing for an empty stream', async () => {
    const big = Buffer.alloc(5000, 1);
    const out = await through([big], 1000);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(big);
    expect(await through([], 1000)).toEqual([]);
  });
});
