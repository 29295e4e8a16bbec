// Runtime: pure (shared/). What the browser host's binary messages need of gzip without a
// compressor at hand: a gzip member that stores its bytes uncompressed (deflate "stored" blocks,
// RFC 1951 §3.2.4; RFC 1952 framing). Members concatenate: a gzip reader gives the
// concatenation of their contents, so the renderer puts a message's small head and tail around
// a document its worker compressed, without compressing them or copying the document twice.

/** The gzip magic: a binary message starting with it is gzip'd UTF-8 JSON. */
export const isGzip = (bytes: Uint8Array): boolean =>
  bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

let table: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `bytes` as one gzip member of stored (uncompressed) deflate blocks. */
export function storedGzipMember(bytes: Uint8Array): Uint8Array {
  const MAX = 65535;
  const blocks = Math.max(1, Math.ceil(bytes.length / MAX));
  const out = new Uint8Array(10 + blocks * 5 + bytes.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], 0);
  let at = 10;
  for (let b = 0; b < blocks; b++) {
    const chunk = bytes.subarray(b * MAX, Math.min(bytes.length, (b + 1) * MAX));
    const len = chunk.length;
    out[at++] = b === blocks - 1 ? 1 : 0;
    out[at++] = len & 0xff;
    out[at++] = len >>> 8;
    out[at++] = ~len & 0xff;
    out[at++] = (~len >>> 8) & 0xff;
    out.set(chunk, at);
    at += len;
  }
  const view = new DataView(out.buffer);
  view.setUint32(at, crc32(bytes), true);
  view.setUint32(at + 4, bytes.length >>> 0, true);
  return out;
}
