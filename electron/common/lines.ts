// Runtime: plain Node. Newline framing with a size limit, shared by the helper and its client.
// Invariant: memory per connection is bounded by `maxBytes` (plus one chunk): an oversized line is
// reported once, as soon as it passes the limit, and then skipped up to its newline, never buffered.

export type LineEvent = { kind: 'line'; text: string } | { kind: 'oversized'; bytes: number };

export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Inside an oversized line: drop bytes until its newline. */
  private skipping = false;
  private skipped = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feed one chunk; returns the complete lines (and oversize reports) it finished. */
  push(chunk: Buffer): LineEvent[] {
    const out: LineEvent[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping) {
        this.skipped += piece.length;
      } else if (this.size + piece.length > this.maxBytes) {
        // Report at once (the line may never end), then skip to its newline.
        this.skipping = true;
        this.skipped = this.size + piece.length;
        this.chunks = [];
        this.size = 0;
        out.push({ kind: 'oversized', bytes: this.skipped });
      } else if (piece.length > 0) {
        this.chunks.push(piece);
        this.size += piece.length;
      }
      if (nl < 0) break;
      if (this.skipping) {
        this.skipping = false;
        this.skipped = 0;
      } else {
        const text = Buffer.concat(this.chunks, this.size).toString('utf8').replace(/\r$/, '');
        this.chunks = [];
        this.size = 0;
        if (text.trim() !== '') out.push({ kind: 'line', text });
      }
      start = nl + 1;
    }
    return out;
  }

  /** Bytes of an unfinished line (a client that disconnects mid-line leaves these). */
  pending(): number {
    return this.skipping ? this.skipped : this.size;
  }
}
