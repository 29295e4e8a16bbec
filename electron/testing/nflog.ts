// Runtime: plain Node, tests only (root, tcpdump). Capture NFLOG events of one group inside a
// namespace and read their prefixes (treewall puts the rule's kernel key there), so a test can
// count which rules logged. Invariant: stop() always ends the tcpdump it started.
//
//   const cap = await NflogCapture.start(ns, 1729);
//   ... send packets ...
//   const events = await cap.stop();   // [{ prefix: 'k3', length: 60 }, ...]

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Namespace } from './netns.ts';

export interface NflogEvent {
  prefix: string;
  /** Length of the logged packet (IP header included). */
  length: number;
}

const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;

/** Parse a pcap file of link type NFLOG (239): each record is a 4-byte header, then TLVs. */
export function parseNflogPcap(data: Buffer): NflogEvent[] {
  if (data.length < 24) return [];
  const little = data.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (little ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const events: NflogEvent[] = [];
  let off = 24;
  while (off + 16 <= data.length) {
    const captured = u32(off + 8);
    const start = off + 16;
    const end = start + captured;
    if (end > data.length) break;
    let t = start + 4; // nflog header: family, version, resource id
    let prefix = '';
    let length = 0;
    while (t + 4 <= end) {
      // TLV length and type are in host byte order (little-endian here), length includes the 4 bytes.
      const len = data.readUInt16LE(t);
      const type = data.readUInt16LE(t + 2) & 0x7fff;
      if (len < 4) break;
      if (type === NFULA_PREFIX)
        prefix = data.toString('latin1', t + 4, t + len).replace(/\0+$/, '');
      if (type === NFULA_PAYLOAD) length = len - 4;
      t += (len + 3) & ~3;
    }
    events.push({ prefix, length });
    off = end;
  }
  return events;
}

export class NflogCapture {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly file: string,
  ) {}

  static async start(ns: Namespace, group: number): Promise<NflogCapture> {
    const dir = mkdtempSync(join(tmpdir(), 'tw-nflog-'));
    const file = join(dir, 'cap.pcap');
    // -Z root: tcpdump would otherwise drop to its own user, who cannot write our 0700 folder.
    const child = spawn(
      'ip',
      ['netns', 'exec', ns.name, 'tcpdump', '-Z', 'root', '-i', `nflog:${group}`, '-U', '-w', file],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    // tcpdump says "listening on" once the NFLOG group is bound; events before that are lost.
    const started = new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`tcpdump exited: ${err}`));
      });
    });
    try {
      await started;
    } catch (error) {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return new NflogCapture(child, dir, file);
  }

  /**
   * Stop capturing and return the events. NOTE: the kernel batches NFLOG messages and flushes a
   * batch about a second after its first event (nfnetlink_log's default flush timeout), so the
   * grace must be longer than that or the last events are lost.
   */
  async stop(graceMs = 1500): Promise<NflogEvent[]> {
    await new Promise((r) => setTimeout(r, graceMs));
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGINT');
    await exited;
    try {
      return parseNflogPcap(readFileSync(this.file));
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
