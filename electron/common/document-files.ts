// Runtime: plain Node (never electron). Document files on disk: read XML or NeXT text, save
// atomically. Invariant: a save writes a temporary file in the same folder, fsyncs it, renames it
// over the target and fsyncs the folder, so a crash or power cut at any moment leaves the old
// file or the new one, never a torn one; a failed save removes its temporary file, and the next
// save removes those that saves killed mid-way left behind.

import { isAscii, isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FirewallDocument } from '../../shared/model/types.ts';
import {
  documentToNsy,
  documentToOpenStep,
  documentToXml,
  parseDocumentText,
  sniffFormat,
  type ReadDocumentOptions,
} from '../../shared/plist/document.ts';

/** `nsy`: XML in IPNetSentryX's own document form (documentToNsy); only ever written. */
export type DocumentFileFormat = 'xml' | 'openstep' | 'nsy';

export interface ReadDocumentResult {
  document: FirewallDocument;
  /** The format the file was in, so a save can keep it. */
  format: DocumentFileFormat;
  /** What the user should know about the read (invalid UTF-8 replaced); absent when nothing. */
  notes?: string[];
}

/** Reads a document file (XML property list, IPNetSentryX's included, or NeXT text). Throws the
 * codec's errors (PlistSyntaxError with line and column, RuleFormatError, DocumentFormatError)
 * or the file system's. */
export async function readDocumentFile(
  file: string,
  options: ReadDocumentOptions = {},
): Promise<FirewallDocument> {
  return (await readDocumentFileWithFormat(file, options)).document;
}

export async function readDocumentFileWithFormat(
  file: string,
  options: ReadDocumentOptions = {},
): Promise<ReadDocumentResult> {
  const bytes = await fs.readFile(file);
  const text = decodeText(bytes);
  const document = parseDocumentText(text, options);
  const replaced = invalidUtf8Sequences(bytes, text);
  return {
    document,
    format: sniffFormat(text),
    ...(replaced > 0
      ? {
          notes: [
            `${path.basename(file)} is not valid UTF-8: ${replaced} byte sequence${replaced === 1 ? ' was' : 's were'} read as U+FFFD (\ufffd); saving writes them that way`,
          ],
        }
      : {}),
  };
}

/** How many invalid byte sequences decoding replaced with U+FFFD (0 for valid UTF-8). */
export function invalidUtf8Sequences(bytes: Buffer, text: string): number {
  if (isAscii(bytes) || isUtf8(bytes)) return 0;
  let inText = 0;
  for (let i = text.indexOf('\ufffd'); i >= 0; i = text.indexOf('\ufffd', i + 1)) inText++;
  // U+FFFD that the file itself holds, validly encoded, is not a replacement.
  let inFile = 0;
  const encoded = Buffer.from([0xef, 0xbf, 0xbd]);
  for (let i = bytes.indexOf(encoded); i >= 0; i = bytes.indexOf(encoded, i + 3)) inFile++;
  return inText - inFile;
}

/**
 * Whether the start of an existing file looks like a document treewall (or IPNetSentryX) wrote:
 * a property list with a rule table. Save asks before replacing anything else.
 */
export async function looksLikeDocument(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return true; // nothing to lose
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
    const text = head
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
    const plist = /^(<\?xml|<!DOCTYPE plist|<plist|\{|\()/.test(text);
    return plist && /filterTable|treewallDocumentVersion|filterActionName|nodeName/.test(text);
  } finally {
    await handle.close();
  }
}

/**
 * Node options serve is started with (resources/treewall passes the same to `treewall serve`, as
 * do the tests and benchmarks through electron/testing/treewall-processes.ts). Opening a
 * 100,000-rule document allocates ~45 MB that live until its reply is sent; the default young
 * generation (16 MB semi-spaces) copied them through ~13 scavenges on the way. Fresh process,
 * read to encoded reply, six alternated pairs at load 10-13: 605-645 -> 535-594 ms CPU; peak
 * RSS unchanged (~282 MiB). The young generation grows only while something allocates that much.
 */
export const SERVE_NODE_OPTIONS = ['--max-semi-space-size=64'] as const;

/** UTF-8 bytes as text. Pure ASCII (every document treewall writes with plain names) is copied
 * byte for byte, which is the same text and about twice as fast as UTF-8 decoding for the 70 MB
 * of a 100,000-rule document. */
export function decodeText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

export interface AtomicWriteOptions {
  /** Permissions of a new file; an existing file keeps its own. Default 0o644. */
  mode?: number;
  /** Test hook: runs after the data is written and synced, before the rename. */
  beforeRename?: (temporaryFile: string) => Promise<void> | void;
}

/** Serializes first (a document that cannot be written never touches the disk), then writes
 * atomically. XML unless `format` says otherwise. */
export async function writeDocumentFileAtomic(
  file: string,
  document: FirewallDocument,
  options: AtomicWriteOptions & { format?: DocumentFileFormat } = {},
): Promise<void> {
  const text =
    options.format === 'openstep'
      ? documentToOpenStep(document)
      : options.format === 'nsy'
        ? documentToNsy(document)
        : documentToXml(document);
  await writeFileAtomic(file, text, options);
}

/** Replaces `file` with `data` atomically (see the invariant above). */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  // Write through a symbolic link to its target rather than replacing the link with a file.
  const target = await fs.realpath(file).catch(() => file);
  const folder = path.dirname(target);
  const existing = await fs.stat(target).catch(() => undefined);
  const mode = existing ? existing.mode & 0o7777 : (options.mode ?? 0o644);
  const temporary = path.join(
    folder,
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await fs.open(temporary, 'wx', mode);
  let renamed = false;
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await options.beforeRename?.(temporary);
    await fs.rename(temporary, target);
    renamed = true;
    await syncFolder(folder);
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (!renamed) await fs.rm(temporary, { force: true });
    throw error;
  }
  await removeStaleTemporaries(folder, path.basename(target));
}

/** Temporary files that saves killed mid-way left beside `name` (their process is gone). */
async function removeStaleTemporaries(folder: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  const entries = await fs.readdir(folder).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const pid = Number(entry.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    await fs.rm(path.join(folder, entry), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync the folder so the rename itself is durable (ext4, xfs and btrfs need it after a crash). */
async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and some containers) refuse fsync on a directory; the rename has
    // happened, so durability is the best the platform offers.
    if (
      !['EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF'].includes(
        (error as NodeJS.ErrnoException).code ?? '',
      )
    ) {
      throw error;
    }
  } finally {
    await handle.close();
  }
}
