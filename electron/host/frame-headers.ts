// Runtime: plain Node. Reads the WebSocket frame headers (RFC 6455 §5.2) in a connection's raw
// bytes as they arrive, before `ws` buffers them, so that serve's input budget can reserve a
// data frame's whole declared length at its header and refuse a connection that would not fit
// while it has sent a few bytes, not tens of megabytes. `ws` has no hook between a frame's header
// and its payload (its `maxPayload` is one fixed figure for every connection), hence this small
// hand-written reader: it only counts, it never changes or consumes the bytes.

/** A data frame's header was read: `length` payload bytes follow (text, binary or continuation). */
export type OnDataFrame = (length: number) => void;

const CONTROL_OPCODES = 0x8; // opcodes 0x8-0xF: close, ping, pong (at most 125 bytes each)

export class FrameHeaderReader {
  /** Payload bytes of the current frame still to come. */
  private remaining = 0;
  /** A header split across reads: its bytes so far. */
  private header: number[] = [];

  constructor(private readonly onDataFrame: OnDataFrame) {}

  /** The next bytes the client sent, in order. */
  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header.push(chunk[i++]!);
      const size = headerSize(this.header);
      if (size === null || this.header.length < size) continue;
      const length = payloadLength(this.header);
      const opcode = this.header[0]! & 0x0f;
      this.header = [];
      this.remaining = length;
      if (opcode < CONTROL_OPCODES) this.onDataFrame(length);
    }
  }
}

/** The header's full size once its first two bytes are known, else null. */
function headerSize(bytes: number[]): number | null {
  if (bytes.length < 2) return null;
  const len7 = bytes[1]! & 0x7f;
  const masked = (bytes[1]! & 0x80) !== 0;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
}

function payloadLength(bytes: number[]): number {
  const len7 = bytes[1]! & 0x7f;
  if (len7 < 126) return len7;
  if (len7 === 126) return (bytes[2]! << 8) | bytes[3]!;
  // 64-bit length: `ws` refuses anything over 2^53 - 1 (and over maxPayload) at the header.
  let length = 0;
  for (let k = 2; k < 10; k++) length = length * 256 + bytes[k]!;
  return length;
}
