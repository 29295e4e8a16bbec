// Runtime: plain Node, as root. Delay's userspace half (shared/compiler/delay.ts): one long-lived
// queue worker (`nft-queue.py`, python3 standard library) that fills the placeholder chains of the
// table in force with their queue rules, binds treewall's queue numbers (27200-27215), holds each
// packet for its rule's delay and accepts it. Synced after every load (apply, revert, rollback,
// boot) with the whole wanted state; stopped when no rule in force delays (stop, rollback to a
// document without Delay) and when the helper closes.
// Invariant: the worker only hears validated numbers and names the compiler made (never text from
// a document); when it is gone the rules' fallback decides (open: pass at once, closed: delete),
// the same whether the placeholder was filled or not.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DelayQueue } from '../../shared/compiler/delay.ts';
import { deliverJsonReplies } from '../common/lines.ts';
import { systemProgram } from './programs.ts';

const SCRIPT = fileURLToPath(new URL('./nft-queue.py', import.meta.url));

/** What the worker says after each request. */
export interface QueueWorkerReply {
  ok: boolean;
  error?: string;
  /** How the placeholders were filled: `xt NFQUEUE` (nft_compat) or the native `queue`. */
  expr?: string | null;
  /** Packets held now, and released since the worker started. */
  held?: number;
  released?: number;
  /** Queue numbers bound. */
  bound?: number[];
}

/** The queue worker's state for `status`. */
export interface DelayState {
  queues: number[];
  expr: string | null;
  held: number;
  released: number;
  error: string | null;
}

/** The one request line the worker reads: only numbers and compiler-made names. */
export function workerRequest(table: string, delays: readonly DelayQueue[]): string {
  return JSON.stringify({
    table,
    queues: delays.map((d) => ({
      num: d.queue,
      ms: d.ms,
      bypass: d.failOpen,
      chain: d.chain,
    })),
  });
}

export class DelayQueues {
  private child: ChildProcess | undefined;
  private waiting: ((reply: QueueWorkerReply) => void) | undefined;
  private asking: Promise<unknown> = Promise.resolve();
  private wanted: { table: string; delays: readonly DelayQueue[] } = { table: '', delays: [] };
  /** The last reply, or why there is none. */
  private last: QueueWorkerReply | null = null;
  lastError: string | null = null;

  constructor(
    /** The interpreter command (tests may prefix `ip netns exec NS`). */
    private readonly python: string[] = [systemProgram('python3')],
  ) {}

  /** The worker's process id (tests kill it to see the fallback). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Make the worker serve `delays` of `table` (the table just loaded): start it if needed, fill
   * the placeholders, bind the queues. None: the worker releases what it holds and exits.
   * Resolves to the error, if any (the rules' fallback then decides for their packets).
   */
  async sync(table: string, delays: readonly DelayQueue[]): Promise<string | undefined> {
    this.wanted = { table, delays };
    if (delays.length === 0) {
      await this.stop();
      this.lastError = null;
      this.last = null;
      return undefined;
    }
    const reply = await this.ask(workerRequest(table, delays));
    this.last = reply;
    this.lastError = reply.ok ? null : `Delay: ${reply.error ?? 'the queue worker failed'}`;
    return this.lastError ?? undefined;
  }

  /** Counts from the worker (held, released), or null when no Delay is in force. */
  async state(): Promise<DelayState | null> {
    if (this.wanted.delays.length === 0) return null;
    const reply = this.child ? await this.ask(JSON.stringify({ stats: true })) : null;
    const now = reply?.ok ? reply : this.last;
    return {
      queues: this.wanted.delays.map((d) => d.queue),
      expr: now?.expr ?? null,
      held: reply?.ok ? (reply.held ?? 0) : 0,
      released: now?.released ?? 0,
      error: this.child ? this.lastError : (this.lastError ?? 'the queue worker is not running'),
    };
  }

  /**
   * End the worker: stdin closes, it releases every packet it holds (NF_ACCEPT) and exits; killed
   * after 2 s if it does not.
   */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('close', () => resolve());
    });
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private ask(line: string): Promise<QueueWorkerReply> {
    const run = this.asking.then(() => this.askNow(line));
    this.asking = run.catch(() => undefined);
    return run;
  }

  private askNow(line: string): Promise<QueueWorkerReply> {
    return new Promise((resolve) => {
      const child = this.child ?? this.spawn();
      if (!child?.stdin) {
        resolve({ ok: false, error: 'cannot start python3' });
        return;
      }
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve({ ok: false, error: 'the queue worker did not answer in 10 s' });
      }, 10_000);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      child.stdin.write(line + '\n');
    });
  }

  private spawn(): ChildProcess | undefined {
    const [command, ...prefix] = this.python;
    const child = spawn(command!, [...prefix, SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    deliverJsonReplies<QueueWorkerReply>(child.stdout!, 1024 * 1024, () => {
      const waiter = this.waiting;
      this.waiting = undefined;
      return waiter;
    });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdin!.on('error', () => undefined);
    const fail = (why: string): void => {
      const current = this.child === child;
      if (current) {
        this.child = undefined;
        // Gone while rules delay: their fallback decides until the next sync starts it again.
        if (this.wanted.delays.length > 0) this.lastError = `Delay: ${why}`;
      }
      const w = this.waiting;
      this.waiting = undefined;
      w?.({ ok: false, error: why });
    };
    child.on('error', (error) => fail(`cannot run ${this.python.join(' ')}: ${error.message}`));
    child.on('close', (code, signal) =>
      fail(
        `the queue worker exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`,
      ),
    );
    this.child = child;
    return child;
  }
}
