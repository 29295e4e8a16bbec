// Runtime: plain Node. Newline framing with a size limit, shared by the helper and its client.
// Invariant: memory per connection is bounded by `maxBytes` (plus one chunk): an oversized line is
// reported once, as soon as it passes the limit, and then skipped up to its newline, never buffered.
// With an InputBudget, all connections together hold at most its `max` bytes of lines (being
// read, or read and not yet given back by the caller); a line that does not fit is skipped the
// same way and reported as `over-budget`.

export type LineEvent =
  /** `bytes`: with a budget, this much of it stays taken until the caller gives it back. */
  | { kind: 'line'; text: string; bytes: number }
  | { kind: 'oversized'; bytes: number }
  /** The shared budget had no room for this line: skipped to its newline, like an oversized one. */
  | { kind: 'over-budget'; bytes: number };

/**
 * Bytes of input all connections together may hold: lines being read plus lines read and not yet
 * answered (the caller gives a line's bytes back when it is done with it). Per-connection limits
 * alone let eight clients with 60 MiB lines take the helper from 79 to 562 MiB.
 */
export class InputBudget {
  used = 0;
  constructor(readonly max: number) {}
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }
  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Inside an oversized line: drop bytes until its newline. */
  private skipping = false;
  private skipped = 0;

  constructor(
    private readonly maxBytes: number,
    /** Shared by every connection of a server; absent: no shared bound (the client). */
    private readonly budget?: InputBudget,
  ) {}

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
        this.budget?.give(this.size);
        this.chunks = [];
        this.size = 0;
        out.push({ kind: 'oversized', bytes: this.skipped });
      } else if (piece.length > 0 && this.budget && !this.budget.take(piece.length)) {
        // No room left across connections: this line is refused, not buffered.
        this.skipping = true;
        this.skipped = this.size + piece.length;
        this.budget.give(this.size);
        this.chunks = [];
        this.size = 0;
        out.push({ kind: 'over-budget', bytes: this.skipped });
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
        const bytes = this.size;
        this.chunks = [];
        this.size = 0;
        if (text.trim() !== '') out.push({ kind: 'line', text, bytes });
        else this.budget?.give(bytes);
      }
      start = nl + 1;
    }
    return out;
  }

  /** Bytes of an unfinished line (a client that disconnects mid-line leaves these). */
  pending(): number {
    return this.skipping ? this.skipped : this.size;
  }

  /** The connection is gone: give its unfinished line's bytes back to the budget. */
  dispose(): void {
    this.budget?.give(this.size);
    this.chunks = [];
    this.size = 0;
  }
}

/**
 * A worker's replies, one JSON object per line, each handed to whoever `take` says is waiting
 * (one request at a time): a line longer than `maxBytes` or not JSON arrives as
 * `{ ok: false, error }`, a line nobody waits for is dropped. Used by the helper's python3
 * workers (counter-reader.ts, delay-queue.ts).
 */
export function deliverJsonReplies<R extends { ok: boolean; error?: string }>(
  stream: NodeJS.ReadableStream,
  maxBytes: number,
  take: () => ((reply: R) => void) | undefined,
): void {
  const splitter = new LineSplitter(maxBytes);
  stream.on('data', (chunk: Buffer) => {
    for (const item of splitter.push(chunk)) {
      const waiter = take();
      if (!waiter) continue;
      let reply: R;
      try {
        reply =
          item.kind === 'line'
            ? (JSON.parse(item.text) as R)
            : ({ ok: false, error: 'oversized reply' } as R);
      } catch {
        reply = { ok: false, error: 'reply is not JSON' } as R;
      }
      waiter(reply);
    }
  });
}
