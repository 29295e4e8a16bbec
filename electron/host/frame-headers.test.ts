import { describe, expect, it } from 'vitest';
import { FrameHeaderReader } from './frame-headers.ts';

/** A masked client frame (RFC 6455 §5.2), as one buffer; the payload is not masked here, which
 * the reader does not look at. */
function frame(payload: Buffer, opcode: number, fin = true): Buffer {
  const n = payload.length;
  const length =
    n < 126
      ? Buffer.from([0x80 | n])
      : n < 65536
        ? Buffer.from([0x80 | 126, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([0x80 | 127, 0, 0, 0, 0]), uint32(n)]);
  return Buffer.concat([
    Buffer.from([(fin ? 0x80 : 0) | opcode]),
    length,
    Buffer.from([1, 2, 3, 4]),
    payload,
  ]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function lengthsOf(stream: Buffer, chunkSize: number): number[] {
  const seen: number[] = [];
  const reader = new FrameHeaderReader((n) => seen.push(n));
  for (let i = 0; i < stream.length; i += chunkSize) reader.feed(stream.subarray(i, i + chunkSize));
  return seen;
}

describe('FrameHeaderReader', () => {
  const stream = Buffer.concat([
    frame(Buffer.alloc(5, 1), 0x1), // 7-bit length
    frame(Buffer.alloc(0), 0x9), // ping: control, not counted
    frame(Buffer.alloc(300, 2), 0x2, false), // 16-bit length, first fragment
    frame(Buffer.alloc(70_000, 3), 0x0), // 64-bit length, continuation
    frame(Buffer.alloc(125, 4), 0xa), // pong
    frame(Buffer.alloc(126, 5), 0x1),
  ]);

  it('reports every data frame’s declared length, however the bytes are split', () => {
    for (const size of [1, 2, 3, 7, 13, 4096, stream.length])
      expect(lengthsOf(stream, size)).toEqual([5, 300, 70_000, 126]);
  });

  it('reports a frame at its header, before any of its payload has arrived', () => {
    const big = frame(Buffer.alloc(200_000, 9), 0x2);
    const seen: number[] = [];
    const reader = new FrameHeaderReader((n) => seen.push(n));
    reader.feed(big.subarray(0, 5));
    expect(seen).toEqual([]);
    reader.feed(big.subarray(5, 14)); // 2 + 8 length bytes + 4 mask bytes
    expect(seen).toEqual([200_000]);
    reader.feed(big.subarray(14));
    expect(seen).toEqual([200_000]);
  });
});
