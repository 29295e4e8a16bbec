// Runtime: plain Node, as root. The helper's only way into the kernel: the `nft` binary with
// libnftables JSON, run without a shell (argument arrays, never command text).
// Invariant: everything written or read is inside `table inet <table>`; documents go through a
// private 0600 temporary file (`nft -j -f -` fails from Node: stdin is a socket), one file being
// one transaction. The temporary file is removed, except when nft refuses it: then it is kept as
// `refused-<time>.json` (still 0600, in the state folder; the newest few only) and the error names
// it, so "nft refused" can be diagnosed with `nft -c -j -f FILE`.
// The apply's load may instead go to an nft started ahead (`prepareLoad`): `nft -j -f FIFO`, a
// 0600 FIFO in the state folder, its life tied to the helper's (`setpriv --pdeathsig KILL`),
// waiting in open() for the program. One FIFO read to its end is one transaction, as one file
// is: nft parses the whole JSON document before it sends anything, and a document cut short (the
// helper killed or failing mid-write) is never valid JSON, so nothing of it is loaded. An apply
// hands over all of its program but the closing brace before its document is validated (nft
// parses meanwhile), and that brace only once validation passed (`startJson`'s gate).

import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync, promises as fs } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';
import { isNftProgram } from '../../shared/compiler/nft.ts';
import { systemProgram } from './programs.ts';

export interface NftResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class NftError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    /** Where the refused transaction was kept (0600, in the state folder), if it was. */
    readonly keptFile?: string,
  ) {
    super(message);
    this.name = 'NftError';
  }
}

export interface NftRunner {
  /**
   * Run `nft ARGS`; resolves with the exit code (never rejects for a non-zero exit). `signal`
   * (read-only listings only) kills the process and rejects with an AbortError.
   */
  run(args: string[], signal?: AbortSignal): Promise<NftResult>;
  /**
   * Optional: start `nft ARGS` now and leave it running, its life tied to the helper's (it ends
   * when the helper does, kill -9 included); undefined when that cannot be done.
   */
  start?(args: string[]): StartedNft | undefined;
}

/** An nft process started ahead (`NftRunner.start`). */
export interface StartedNft {
  readonly pid: number | undefined;
  /** Settles when it ended (never rejects: a failed start is a non-zero code). */
  readonly result: Promise<NftResult>;
  kill(): void;
}

function collect(child: ReturnType<typeof spawn>): Promise<NftResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

export const systemNft = (
  binary = systemProgram('nft'),
  setpriv = systemProgram('setpriv'),
): NftRunner => ({
  start: (args) => {
    // Without setpriv a helper killed with -9 would leave the waiting nft behind: no start ahead.
    if (!existsSync(setpriv)) return undefined;
    const child = spawn(setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The load is what the caller waits for: while it runs, the helper's own work (staging the
    // state, the rule index, its garbage collection) yields the CPU to it (2 cores: at 10,000
    // rules nft took 244 ms in the helper, 208 alone). Only root may raise a priority: elsewhere
    // nft runs as it was started.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, LOAD_PRIORITY);
      } catch {
        // not root: the default priority
      }
    }
    const result = collect(child).catch((error: unknown): NftResult => ({
      code: -1,
      stdout: '',
      stderr: String(error),
    }));
    return { pid: child.pid, result, kill: () => void child.kill('SIGKILL') };
  },
  run: (args, signal) =>
    collect(
      spawn(binary, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(signal ? { signal } : {}),
      }),
    ),
});

/**
 * Nice value of the nft started ahead (setpriv execs nft in the same process, which keeps it):
 * above the helper's own threads, so that the load's single thread is not the one waiting for a
 * core while the helper stages what it keeps. Nothing else runs at this priority for long: the
 * process waits in open() until a load, and ends with it.
 */
export const LOAD_PRIORITY = -5;

/** Prefix of the helper's temporary files (reconciled at start). */
export const TEMP_PREFIX = '.nft-';

/** Prefix of the refused transactions kept for diagnosis, and how many are kept. */
export const REFUSED_PREFIX = 'refused-';
export const REFUSED_KEPT = 5;
let refusedSequence = 0;

/** An nft started ahead, waiting for its program on `fifo` (see the file's invariant). */
interface Standby {
  fifo: string;
  nft: StartedNft;
  ended: boolean;
}

export class Nft {
  /** The next load's nft, started ahead (`prepareLoad`), or null. */
  private standby: Standby | null = null;
  private preparing = false;
  /** Loads being fed through the FIFO: a second nft must not open it meanwhile. */
  private feeding = 0;
  /** The FIFO the started-ahead nft read (made once; null: could not be made). */
  private fifo: Promise<string | null> | undefined;

  constructor(
    private readonly runner: NftRunner,
    /** Where temporary files go (the state directory: root-only, not /tmp). */
    private readonly tempDir: string,
    readonly table = 'treewall',
  ) {}

  /**
   * Start a libnftables JSON file as one transaction: resolves once `nft` is running (the file
   * written, the process spawned), with `done`, which settles when it finished (NftError with
   * nft's message if it refused). The caller may do other work while nft loads.
   * `gate`: the program may be loaded only once it resolves (the document's validation, the
   * pending confirm on disk). Until then the nft started ahead reads (and parses) all of it but
   * its last byte, so nothing can load: the JSON is cut short, and nft parses the whole document
   * before it sends anything. The gate resolving writes that byte; rejecting kills that nft
   * before its FIFO closes, and `done` rejects with the gate's reason. Through a file, nothing is
   * written before the gate resolved.
   * NOTE: JSON only, by construction: what root executes is always a document this helper
   * compiled itself, never nft text.
   */
  async startJson(document: unknown, gate?: Promise<void>): Promise<{ done: Promise<void> }> {
    // A compiled program carries its JSON text (the compiler wrote it): written as it is.
    const content = isNftProgram(document) ? document.json : JSON.stringify(document);
    // Its rejection is handled where it is awaited (maybe later than it rejects).
    gate?.catch(() => undefined);
    const standby = this.standby;
    this.standby = null;
    if (standby && !standby.ended) {
      try {
        this.feeding++;
        const fed = await this.feed(standby, content, gate);
        void fed.done.then(
          () => this.feeding--,
          () => this.feeding--,
        );
        return fed;
      } catch {
        // The FIFO could not be opened (nft has not read anything): the file, as without it.
        this.feeding--;
        standby.nft.kill();
      }
    }
    // Through a file, nft reads nothing before the gate opened: the file is written after it.
    if (gate) return { done: gate.then(async () => (await this.loadFile(content)).done) };
    return this.loadFile(content);
  }

  /** Write `content` to a new 0600 file and start `nft -j -f FILE`; resolves once it runs. */
  private async loadFile(content: string): Promise<{ done: Promise<void> }> {
    const file = this.tempFile('.json');
    const handle = await fs.open(file, 'wx', 0o600);
    let ran: Promise<NftResult>;
    try {
      await handle.writeFile(content, 'utf8');
      await handle.close();
      ran = this.runner.run(['-j', '-f', file]);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.rm(file, { force: true });
      throw error;
    }
    const done = ran.then(
      async (result) => {
        if (result.code === 0) {
          await fs.rm(file, { force: true });
          return;
        }
        throw refusedError(result.stderr, await this.keepRefused(file));
      },
      async (error: unknown) => {
        await fs.rm(file, { force: true });
        throw error;
      },
    );
    return { done };
  }

  /**
   * Start the next load's nft now (`nft -j -f FIFO`, waiting in open() for its program), so that
   * the load does not pay for nft's start, nor for a fork of the helper's large heap, on its way.
   * Does nothing where the runner cannot tie nft to the helper's life, or one is started already.
   */
  prepareLoad(): void {
    const start = this.runner.start?.bind(this.runner);
    if (!start || this.preparing || this.feeding > 0 || (this.standby && !this.standby.ended))
      return;
    this.preparing = true;
    void this.makeFifo()
      .then((fifo) => {
        if (!fifo || (this.standby && !this.standby.ended)) return;
        const nft = start(['-j', '-f', fifo]);
        if (!nft) return;
        const entry: Standby = { fifo, nft, ended: false };
        void nft.result.then(() => {
          entry.ended = true;
          if (this.standby === entry) this.standby = null;
        });
        this.standby = entry;
      })
      .finally(() => {
        this.preparing = false;
      });
  }

  /** Whether an nft started ahead waits for the next load. */
  get loadReady(): boolean {
    return this.standby !== null && !this.standby.ended;
  }

  /** End the nft started ahead, if any (the helper stops). */
  dropStandby(): void {
    this.standby?.nft.kill();
    this.standby = null;
  }

  /** The FIFO, made once (mkfifo -m 600, in the state folder); null when it cannot be made. */
  private makeFifo(): Promise<string | null> {
    this.fifo ??= new Promise((resolve) => {
      const fifo = this.tempFile('.fifo', 'load-');
      execFile(systemProgram('mkfifo'), ['-m', '600', fifo], (error) =>
        resolve(error ? null : fifo),
      );
    });
    return this.fifo;
  }

  /**
   * Hand `content` to the nft started ahead: opening the FIFO for writing waits for nft to open
   * it for reading (it does so as it starts); the write runs in libuv's thread pool (a blocking
   * pipe: the kernel takes it as nft reads), so the caller's own work goes on meanwhile. Should
   * nft end before it has its program, a reader of our own releases the open and the write fails.
   * A write that fails with nft alive kills nft before the FIFO closes (nft would read a cut
   * JSON document, refuse it, and wait on the FIFO again for its text fallback).
   */
  private async feed(
    standby: Standby,
    content: string,
    gate?: Promise<void>,
  ): Promise<{ done: Promise<void> }> {
    const { fifo, nft } = standby;
    let opened = false;
    void nft.result.then(async () => {
      while (!opened) {
        const reader = await fs
          .open(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
          .catch(() => undefined);
        await reader?.close();
        if (!opened) await new Promise((r) => setTimeout(r, 5));
      }
    });
    const handle = await fs.open(fifo, constants.O_WRONLY).finally(() => {
      opened = true;
    });
    const data = Buffer.from(content, 'utf8');
    // Held back until the gate opens: the program's closing brace (and any whitespace after it),
    // without which it is not JSON, whatever happens to this process meanwhile (kill -9: nft
    // reads a cut document, if the death signal has not ended it first).
    const held = gate ? heldBack(data) : 0;
    let closed: unknown;
    const written = (async () => {
      try {
        const write = async (at: number, end: number): Promise<void> => {
          while (at < end) at += (await handle.write(data, at, end - at)).bytesWritten;
        };
        await write(0, data.length - held);
        if (gate) {
          try {
            await gate;
          } catch (reason) {
            closed = reason;
            throw reason;
          }
          await write(data.length - held, data.length);
        }
      } catch (error) {
        nft.kill();
        throw error;
      } finally {
        await handle.close();
      }
    })();
    written.catch(() => undefined);
    // Settled only once our side of the FIFO is closed too: the next nft started ahead must not
    // open it while this write is still open, or it would join this pipe and read what a killed
    // nft left unread (a shut gate) in front of its own program, refuse the JSON, and wait on
    // the FIFO again for nft's text fallback (an apply that never ends).
    const finished = written.then(
      () => undefined,
      () => undefined,
    );
    const done = Promise.all([nft.result, finished]).then(async ([result]) => {
      if (closed !== undefined) throw closed;
      if (result.code === 0) return;
      const failed = await written.then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      if (failed)
        throw new NftError(
          `could not hand the transaction to nft: ${failed.message}`,
          result.stderr,
        );
      throw refusedError(result.stderr, await this.keepRefusedContent(data));
    });
    return { done };
  }

  /** A refused transaction that came through the FIFO, written to a file for diagnosis. */
  /** A new temporary file's path in the state folder (`.nft-` files are removed at start). */
  private tempFile(extension: string, kind = ''): string {
    return path.join(
      this.tempDir,
      `${TEMP_PREFIX}${kind}${randomBytes(8).toString('hex')}${extension}`,
    );
  }

  private async keepRefusedContent(data: Buffer): Promise<string | undefined> {
    const file = this.tempFile('.json');
    try {
      await fs.writeFile(file, data, { mode: 0o600, flag: 'wx' });
    } catch {
      await fs.rm(file, { force: true });
      return undefined;
    }
    return this.keepRefused(file);
  }

  /**
   * Rename a refused transaction file to `refused-<time>-<sequence>.json` (rename keeps its 0600 mode)
   * and delete all but the newest REFUSED_KEPT of them. Returns its path, or undefined when it
   * could not be kept (then it is removed like any temporary file).
   */
  private async keepRefused(file: string): Promise<string | undefined> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    // The sequence number orders refusals within one millisecond (pruning keeps the newest).
    const sequence = String(refusedSequence++).padStart(6, '0');
    const kept = path.join(this.tempDir, `${REFUSED_PREFIX}${stamp}-${sequence}.json`);
    try {
      await fs.rename(file, kept);
    } catch {
      await fs.rm(file, { force: true });
      return undefined;
    }
    try {
      const old = (await fs.readdir(this.tempDir))
        .filter((name) => name.startsWith(REFUSED_PREFIX) && name.endsWith('.json'))
        .sort()
        .slice(0, -REFUSED_KEPT);
      await Promise.all(old.map((name) => fs.rm(path.join(this.tempDir, name), { force: true })));
    } catch {
      // Pruning is housekeeping: the refusal's own error matters more.
    }
    return kept;
  }

  /** Apply a libnftables JSON document in one transaction. Throws NftError with nft's message. */
  async applyJson(document: unknown): Promise<void> {
    await (
      await this.startJson(document)
    ).done;
  }

  /** Run list commands (one per line) as one nft call; returns the combined JSON. */
  async listJson(commands: string[]): Promise<NftJson> {
    const file = this.tempFile('.nft');
    await fs.writeFile(file, commands.join('\n') + '\n', { mode: 0o600, flag: 'wx' });
    try {
      const result = await this.runner.run(['-j', '-f', file]);
      if (result.code !== 0) throw new NftError(`nft: ${firstLines(result.stderr)}`, result.stderr);
      return parseNftJson(result.stdout);
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  /**
   * `nft -j list table inet treewall`, or null when our table does not exist. `signal` cancels
   * the listing (the process is killed; rejects with an AbortError).
   */
  async listTable(signal?: AbortSignal): Promise<NftJson | null> {
    const result = await this.runner.run(['-j', 'list', 'table', 'inet', this.table], signal);
    if (result.code !== 0) {
      if (/No such file or directory/.test(result.stderr)) return null;
      throw new NftError(`nft list table: ${firstLines(result.stderr)}`, result.stderr);
    }
    return parseNftJson(result.stdout);
  }

  /** The table as text (`nft list table`), or '' when absent. */
  async listTableText(): Promise<string> {
    const result = await this.runner.run(['list', 'table', 'inet', this.table]);
    return result.code === 0 ? result.stdout : '';
  }

  async tableExists(): Promise<boolean> {
    const result = await this.runner.run(['list', 'tables', 'inet']);
    if (result.code !== 0)
      throw new NftError(`nft list tables: ${firstLines(result.stderr)}`, result.stderr);
    return result.stdout.split('\n').some((l) => l.trim() === `table inet ${this.table}`);
  }

  /** Remove our table (and nothing else). No-op when it is absent. */
  async deleteTable(): Promise<void> {
    if (!(await this.tableExists())) return;
    await this.applyJson({
      nftables: [
        { metainfo: { json_schema_version: 1 } },
        { delete: { table: { family: 'inet', name: this.table } } },
      ],
    });
  }

  /**
   * Counters and the named maps' per-element counters, in one nft call. NOTE: nft 1.0.6 builds
   * its cache for the first command of a file, so `list counters` followed by `list map` fails
   * ("Unknown set ... in lookup expression"): with maps, list the whole table instead.
   */
  async listCounters(maps: readonly string[]): Promise<NftJson> {
    if (maps.length > 0) return (await this.listTable()) ?? { nftables: [] };
    return this.listJson([`list counters table inet ${this.table}`]);
  }

  /** Every set of our table, with elements. */
  async listSets(): Promise<NftJson> {
    return this.listJson([`list sets table inet ${this.table}`]);
  }
}

export interface NftJson {
  nftables: Record<string, unknown>[];
}

export function parseNftJson(text: string): NftJson {
  const parsed = JSON.parse(text) as unknown;
  if (
    parsed &&
    typeof parsed === 'object' &&
    Array.isArray((parsed as { nftables?: unknown }).nftables)
  ) {
    return parsed as NftJson;
  }
  return { nftables: [] };
}

/** Bytes from a JSON text's last non-whitespace byte (its closing brace) to its end. */
export function heldBack(data: Uint8Array): number {
  let at = data.length - 1;
  while (
    at > 0 &&
    (data[at] === 0x20 || data[at] === 0x0a || data[at] === 0x0d || data[at] === 0x09)
  )
    at--;
  return data.length - at;
}

/** nft refused a transaction: its first lines, and where the refused program is kept. */
function refusedError(stderr: string, kept: string | undefined): NftError {
  return new NftError(
    `nft refused the transaction: ${firstLines(stderr)}` +
      (kept ? ` (the refused transaction is kept in ${kept})` : ''),
    stderr,
    kept,
  );
}

const firstLines = (text: string): string =>
  text.trim().split('\n').slice(0, 6).join(' | ') || 'no message';

/**
 * A fingerprint of our table's structure as the kernel reports it: handles, counter values, set
 * elements of dynamic sets and the metainfo line are left out (they change while rules stay the
 * same). Equal fingerprints: nobody changed our rules since we applied them.
 */
export function tableFingerprint(list: NftJson): string {
  const stable = list.nftables
    .filter((entry) => !('metainfo' in entry))
    .map((entry) => stripVolatile(entry));
  return createHash('sha256').update(JSON.stringify(stable)).digest('hex');
}

function stripVolatile(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => stripVolatile(v));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const isSet = key === 'set';
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'handle' || k === 'packets' || k === 'bytes' || k === 'expires') continue;
    // Dynamic sets fill up as packets arrive: their elements are state, not rules.
    if (isSet && k === 'elem') continue;
    out[k] = stripVolatile(v, k);
  }
  return out;
}
