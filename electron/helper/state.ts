// Runtime: plain Node, as root. The helper's state directory: what is applied, what came before
// it (for revert and the confirm timeout), and a pending confirm deadline, so a helper that
// crashed or was restarted can finish what it started.
// Invariant: every file is written atomically (temporary file, fsync, rename; previous.json may be
// a hard link to an active.json already written that way) with mode 0600, so a
// crash leaves the old version or the new one. A file that does not read back is kept aside as
// `<name>.corrupt` for a person to look at and treated as absent, except where that is unsafe
// (a pending confirm; the active document when it is to be re-applied): there it is an error
// (StateFileError) and the helper does not start.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  decodeHelperMessage,
  documentSchema,
  encodeHelperMessage,
  MAX_NESTING,
  nestingError,
} from '../../shared/ipc/helper-protocol.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import { TEMP_PREFIX } from './nft.ts';

export interface AppliedRecord {
  document: FirewallDocument;
  appliedAt: string;
  /** tableFingerprint() of our table right after the apply. */
  fingerprint: string;
  /** Counter totals of earlier tables, by rule id, added to the kernel's (see counters.ts). */
  counterBase: Record<string, { packets: number; bytes: number }>;
}

export interface PendingRecord {
  deadline: string;
  timeoutSeconds: number;
  /** What to restore if the deadline passes: a document, or null for "remove our table". */
  restore: FirewallDocument | null;
}

const FILES = { active: 'active.json', previous: 'previous.json', pending: 'pending.json' };

/** A state file that exists but cannot be read back, where carrying on without it is unsafe. */
export class StateFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: cannot be read back (${reason})`);
    this.name = 'StateFileError';
  }
}

export class StateDir {
  /** The document `active.json` holds, as last read or written here (null: none or unknown). */
  private activeDocument: FirewallDocument | null = null;

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.dir, 0o700);
  }

  /** Remove temporary files a crashed run left behind. Returns how many. */
  async removeTemporaries(): Promise<number> {
    let n = 0;
    for (const name of await fs.readdir(this.dir)) {
      if (name.startsWith(TEMP_PREFIX) || name.startsWith('.state-')) {
        await fs.rm(path.join(this.dir, name), { force: true });
        n++;
      }
    }
    return n;
  }

  /** `strict`: a file that exists but does not read back throws StateFileError (and stays
   * where it is) instead of counting as absent. */
  readActive = async (strict = false): Promise<AppliedRecord | null> => {
    const record = await this.read(FILES.active, parseApplied, strict);
    this.activeDocument = record?.document ?? null;
    return record;
  };
  writeActive = async (r: AppliedRecord | null): Promise<void> => {
    this.activeDocument = null; // unknown until the write is done
    await this.write(FILES.active, r);
    this.activeDocument = r?.document ?? null;
  };
  readPrevious = () => this.read(FILES.previous, parseDocumentOnly);
  writePrevious = (d: FirewallDocument | null) => this.write(FILES.previous, d && { document: d });
  /** Always strict: a pending confirm that cannot be read must never be dropped silently (its
   * rollback would be lost). */
  readPending = () => this.read(FILES.pending, parsePending, true);
  /** Durable when it resolves: the file synced, renamed, and the directory synced (the rename
   * itself survives a power cut), because an apply starts nft right after it. */
  writePending = async (p: PendingRecord | null): Promise<void> => {
    if (p === null) {
      // No file, nothing to make durable: a plain apply (nothing pending, the usual case) skips
      // the directory's sync (13-130 ms on the apply's path here when the disk was busy).
      if (!(await this.remove(FILES.pending))) return;
    } else await this.write(FILES.pending, p);
    await this.syncDir();
  };

  /** Remove a state file; false when there was none. */
  private async remove(name: string): Promise<boolean> {
    try {
      await fs.unlink(path.join(this.dir, name));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  private async syncDir(): Promise<void> {
    const handle = await fs.open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Read and check a state file. What the helper writes is what it accepted at its edge, within
   * the same nesting limit, so it reads back through the same checks; a file that does not (an
   * older helper's, or edited by hand) is, when `strict`, a StateFileError (left in place), else
   * put aside as `<name>.corrupt` and read as absent.
   */
  private async read<T>(
    name: string,
    parse: (v: unknown) => T | undefined,
    strict = false,
  ): Promise<T | null> {
    const file = path.join(this.dir, name);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    let reason = 'not what this helper writes';
    try {
      const raw = decodeHelperMessage(text);
      // The edge's limit, before the recursive schema (a record adds no level: params hold
      // `document` as a record does).
      const deep = nestingError(raw);
      if (deep !== null) reason = `${deep}: nested deeper than ${MAX_NESTING} levels`;
      else {
        const value = parse(raw);
        if (value !== undefined) return value;
      }
    } catch (error) {
      reason = (error as Error).message;
    }
    if (strict) throw new StateFileError(file, reason);
    await fs.rename(file, `${file}.corrupt`).catch(() => undefined);
    return null;
  }

  /**
   * Write the new active record and previous document to temporary files now (encoded and
   * synced), and put them in place only on `commit()`: an apply stages them while nft loads the
   * rules (another process), commits after nft succeeded and `discard()`s them if it failed.
   */
  async stageApplied(
    record: AppliedRecord,
    previous: FirewallDocument | undefined,
  ): Promise<StagedWrite> {
    const staged = await Promise.allSettled([
      this.stage(FILES.active, record),
      ...(previous ? [this.stagePrevious(previous)] : []),
    ]);
    const done = staged.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = staged.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(done.map((d) => d.discard()));
      throw (failed as PromiseRejectedResult).reason;
    }
    return {
      commit: async () => {
        this.activeDocument = null; // unknown until both are in place
        await Promise.all(done.map((d) => d.commit()));
        this.activeDocument = record.document;
      },
      discard: async () => {
        await Promise.all(done.map((d) => d.discard()));
      },
    };
  }

  /**
   * previous.json for `document`. When it is the document active.json holds (an apply replacing
   * it: the usual case), a hard link to active.json: no 1.7 MB encode and sync while nft loads.
   * Safe because no file here is ever changed in place (every write is a new file renamed over
   * the old name), so the linked inode keeps the old content. readPrevious reads an active record
   * too (it takes its `document`).
   */
  private async stagePrevious(document: FirewallDocument): Promise<StagedWrite> {
    if (document === this.activeDocument) {
      const temp = path.join(this.dir, `.state-${randomBytes(6).toString('hex')}`);
      try {
        await fs.link(path.join(this.dir, FILES.active), temp);
        return {
          commit: async () => {
            try {
              await fs.rename(temp, path.join(this.dir, FILES.previous));
            } catch (error) {
              await fs.rm(temp, { force: true });
              throw error;
            }
          },
          discard: () => fs.rm(temp, { force: true }),
        };
      } catch {
        await fs.rm(temp, { force: true });
        // fall through: encode it
      }
    }
    return this.stage(FILES.previous, { document });
  }

  private async write(name: string, value: unknown): Promise<void> {
    if (value === null) {
      await fs.rm(path.join(this.dir, name), { force: true });
      return;
    }
    await (await this.stage(name, value)).commit();
  }

  /** The new content in a synced 0600 temporary file; commit renames it over the file. */
  private async stage(name: string, value: unknown): Promise<StagedWrite> {
    const file = path.join(this.dir, name);
    const temp = path.join(this.dir, `.state-${randomBytes(6).toString('hex')}`);
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(encodeHelperMessage(value), 'utf8');
      await handle.sync();
      await handle.close();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.rm(temp, { force: true });
      throw error;
    }
    return {
      commit: async () => {
        try {
          await fs.rename(temp, file);
        } catch (error) {
          await fs.rm(temp, { force: true });
          throw error;
        }
      },
      discard: () => fs.rm(temp, { force: true }),
    };
  }
}

/** Files written but not yet in place (see `StateDir.stageApplied`). */
export interface StagedWrite {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseDoc(v: unknown): FirewallDocument | undefined {
  const parsed = documentSchema.safeParse(v);
  return parsed.success ? parsed.data : undefined;
}

function parseApplied(v: unknown): AppliedRecord | undefined {
  if (!isObj(v) || typeof v.appliedAt !== 'string' || typeof v.fingerprint !== 'string')
    return undefined;
  const document = parseDoc(v.document);
  if (!document) return undefined;
  const base = isObj(v.counterBase) ? (v.counterBase as AppliedRecord['counterBase']) : {};
  return { document, appliedAt: v.appliedAt, fingerprint: v.fingerprint, counterBase: base };
}

function parseDocumentOnly(v: unknown): FirewallDocument | undefined {
  return isObj(v) ? parseDoc(v.document) : undefined;
}

function parsePending(v: unknown): PendingRecord | undefined {
  if (!isObj(v) || typeof v.deadline !== 'string' || typeof v.timeoutSeconds !== 'number')
    return undefined;
  if (v.restore === null)
    return { deadline: v.deadline, timeoutSeconds: v.timeoutSeconds, restore: null };
  const restore = parseDoc(v.restore);
  return restore ? { deadline: v.deadline, timeoutSeconds: v.timeoutSeconds, restore } : undefined;
}
