// Runtime: plain Node, as root. Reads one NFLOG group through libpcap's `nflog:N` device
// (`tcpdump -i nflog:N -U -w -`) and decodes the pcap stream in Node: link type 239 (NFLOG),
// whose records are TLVs (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html). No text is
// scraped, so a prefix or payload holding any bytes cannot confuse the parser.
// Invariant: the decoder never throws on bad input; a truncated or garbled record is skipped, and
// a stream that loses its framing is abandoned (the reader restarts tcpdump).

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { killOrphans, spawnTied } from './children.ts';
import { readFileSync } from 'node:fs';
import { formatIPv6 } from '../../shared/model/address.ts';
import { systemProgram } from './programs.ts';

export interface NflogPacket {
  /** Milliseconds since the epoch (the kernel's timestamp TLV, else the pcap record time). */
  timeMs: number;
  family: number;
  /** Netfilter hook: 0 prerouting, 1 input, 2 forward, 3 output, 4 postrouting. */
  hook: number | null;
  prefix: string;
  inIfindex: number | null;
  outIfindex: number | null;
  /** The network-layer packet (IP header first), as much as the snap length kept. */
  payload: Buffer;
}

const LINKTYPE_NFLOG = 239;
// NFULA_* attribute types (linux/netfilter/nfnetlink_log.h).
const TLV_PACKET_HDR = 1;
const TLV_TIMESTAMP = 3;
const TLV_IFINDEX_INDEV = 4;
const TLV_IFINDEX_OUTDEV = 5;
const TLV_PAYLOAD = 9;
const TLV_PREFIX = 10;

/** Incremental pcap stream decoder: feed chunks, get NFLOG packets. */
export class PcapNflogDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private littleEndian = true;
  private nanos = false;
  private headerDone = false;
  /** Set when the stream is not something we can read; the caller should stop. */
  error: string | undefined;

  push(chunk: Buffer): NflogPacket[] {
    if (this.error) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: NflogPacket[] = [];
    let offset = 0;
    if (!this.headerDone) {
      if (this.buffer.length < 24) return out;
      const magic = this.buffer.readUInt32LE(0);
      if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.littleEndian = true;
      else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.littleEndian = false;
      else {
        this.error = `not a pcap stream (magic ${magic.toString(16)})`;
        return out;
      }
      this.nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
      const linktype = this.u32(20) & 0x0fffffff;
      if (linktype !== LINKTYPE_NFLOG) {
        this.error = `link type ${linktype} is not NFLOG (239)`;
        return out;
      }
      this.headerDone = true;
      offset = 24;
    }
    while (this.buffer.length - offset >= 16) {
      const sec = this.u32(offset);
      const frac = this.u32(offset + 4);
      const incl = this.u32(offset + 8);
      if (incl > 1 << 20) {
        this.error = `record of ${incl} bytes: framing lost`;
        return out;
      }
      if (this.buffer.length - offset - 16 < incl) break;
      const record = this.buffer.subarray(offset + 16, offset + 16 + incl);
      const timeMs = sec * 1000 + Math.floor(this.nanos ? frac / 1e6 : frac / 1e3);
      const packet = decodeNflogRecord(record, timeMs, this.littleEndian);
      if (packet) out.push(packet);
      offset += 16 + incl;
    }
    this.buffer = this.buffer.subarray(offset);
    if (this.buffer.length === 0) this.buffer = Buffer.alloc(0);
    return out;
  }

  private u32(at: number): number {
    return this.littleEndian ? this.buffer.readUInt32LE(at) : this.buffer.readUInt32BE(at);
  }
}

/**
 * One NFLOG record: a 4-byte header (family, version, resource id) and TLVs whose length and type
 * are in the capturing host's byte order (so, the pcap file's), values in network order, each
 * padded to 4 bytes.
 */
export function decodeNflogRecord(
  record: Buffer,
  fallbackTimeMs: number,
  littleEndian = true,
): NflogPacket | undefined {
  if (record.length < 4) return undefined;
  const packet: NflogPacket = {
    timeMs: fallbackTimeMs,
    family: record[0]!,
    hook: null,
    prefix: '',
    inIfindex: null,
    outIfindex: null,
    payload: Buffer.alloc(0),
  };
  let at = 4;
  while (at + 4 <= record.length) {
    const len = littleEndian ? record.readUInt16LE(at) : record.readUInt16BE(at);
    const type =
      (littleEndian ? record.readUInt16LE(at + 2) : record.readUInt16BE(at + 2)) & 0x7fff;
    if (len < 4 || at + len > record.length) break;
    const value = record.subarray(at + 4, at + len);
    switch (type) {
      case TLV_PACKET_HDR:
        if (value.length >= 3) packet.hook = value[2]!;
        break;
      case TLV_TIMESTAMP:
        if (value.length >= 16) {
          const sec = Number(value.readBigUInt64BE(0));
          const usec = Number(value.readBigUInt64BE(8));
          packet.timeMs = sec * 1000 + Math.floor(usec / 1000);
        }
        break;
      case TLV_IFINDEX_INDEV:
        if (value.length >= 4) packet.inIfindex = value.readUInt32BE(0);
        break;
      case TLV_IFINDEX_OUTDEV:
        if (value.length >= 4) packet.outIfindex = value.readUInt32BE(0);
        break;
      case TLV_PAYLOAD:
        packet.payload = Buffer.from(value);
        break;
      case TLV_PREFIX: {
        const nul = value.indexOf(0);
        packet.prefix = value.subarray(0, nul < 0 ? value.length : nul).toString('utf8');
        break;
      }
    }
    at += (len + 3) & ~3;
  }
  return packet;
}

export interface PacketSummary {
  version: 4 | 6 | null;
  protocol: string | null;
  src: string | null;
  dst: string | null;
  srcPort: number | null;
  dstPort: number | null;
  length: number;
}

const PROTOCOLS: Record<number, string> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  58: 'ipv6-icmp',
  132: 'sctp',
};

/** Addresses, protocol and ports of an IP packet (no exceptions on short or odd packets). */
export function summarizePacket(p: Buffer): PacketSummary {
  const none: PacketSummary = {
    version: null,
    protocol: null,
    src: null,
    dst: null,
    srcPort: null,
    dstPort: null,
    length: p.length,
  };
  if (p.length < 1) return none;
  const version = p[0]! >> 4;
  let proto: number;
  let l4: number;
  let out: PacketSummary;
  if (version === 4 && p.length >= 20) {
    const ihl = (p[0]! & 0x0f) * 4;
    proto = p[9]!;
    l4 = ihl;
    const fragOffset = p.readUInt16BE(6) & 0x1fff;
    if (fragOffset !== 0) l4 = -1;
    out = {
      ...none,
      version: 4,
      src: [...p.subarray(12, 16)].join('.'),
      dst: [...p.subarray(16, 20)].join('.'),
      length: p.readUInt16BE(2),
    };
  } else if (version === 6 && p.length >= 40) {
    proto = p[6]!;
    l4 = 40;
    out = {
      ...none,
      version: 6,
      src: ipv6Text(p.subarray(8, 24)),
      dst: ipv6Text(p.subarray(24, 40)),
      length: 40 + p.readUInt16BE(4),
    };
  } else {
    return none;
  }
  out.protocol = PROTOCOLS[proto] ?? String(proto);
  if ((proto === 6 || proto === 17 || proto === 132) && l4 >= 0 && p.length >= l4 + 4) {
    out.srcPort = p.readUInt16BE(l4);
    out.dstPort = p.readUInt16BE(l4 + 2);
  }
  return out;
}

/** One canonical IPv6 text for the whole app: the model's (RFC 5952, IPv4-mapped dotted). */
function ipv6Text(b: Buffer): string {
  return formatIPv6(BigInt(`0x${b.toString('hex')}`));
}

/** Interface name of an ifindex in the helper's namespace (cached; null when unknown). */
export class InterfaceNames {
  private cache = new Map<number, string>();
  private loadedAt = 0;

  name(index: number | null): string | null {
    if (index === null || index === 0) return null;
    const hit = this.cache.get(index);
    if (hit !== undefined) return hit;
    // Unknown index: re-read at most once a second (interfaces come and go).
    if (Date.now() - this.loadedAt > 1000) this.reload();
    return this.cache.get(index) ?? null;
  }

  private reload(): void {
    this.loadedAt = Date.now();
    this.cache = new Map();
    try {
      // /proc/net/dev lists names; /sys/class/net/NAME/ifindex gives the index.
      const names = readFileSync('/proc/net/dev', 'utf8')
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter(Boolean);
      for (const n of names) {
        try {
          const idx = Number(readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8').trim());
          if (Number.isInteger(idx)) this.cache.set(idx, n);
        } catch {
          // gone meanwhile
        }
      }
    } catch {
      // no /proc: names stay unknown
    }
  }
}

export type ReaderState = 'running' | 'stopped' | 'unavailable';

/** argv of a tcpdump reading NFLOG group `group` (as NflogReader starts it). */
export const isReaderOf = (argv: string[], group: number): boolean =>
  /(^|\/)tcpdump$/.test(argv[0] ?? '') && argv.includes(`nflog:${group}`);

/**
 * Runs tcpdump on `nflog:GROUP` and calls `onPacket` for each record. Restarts tcpdump (after a
 * pause) when it exits unexpectedly; `stop()` ends it for good.
 */
export class NflogReader {
  private child: ChildProcess | undefined;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  state: ReaderState = 'stopped';
  lastError: string | null = null;

  constructor(
    readonly group: number,
    private readonly onPacket: (packet: NflogPacket) => void,
    private readonly tcpdump = systemProgram('tcpdump'),
  ) {}

  /** Start; resolves when tcpdump says it is listening (or failed). */
  start(): Promise<void> {
    if (!this.stopped) return Promise.resolve();
    this.stopped = false;
    return this.spawn();
  }

  private async spawn(): Promise<void> {
    if (!existsSync(this.tcpdump)) {
      this.state = 'unavailable';
      this.lastError = `log reader: cannot run ${this.tcpdump}: not installed`;
      this.stopped = true;
      return;
    }
    // The kernel gives an NFLOG group to one reader per network namespace: a tcpdump an
    // earlier helper left running (killed before its children were tied to it, or without
    // setpriv) would keep ours from binding. It is ended first.
    const orphans = await killOrphans((argv) => isReaderOf(argv, this.group));
    if (orphans.length > 0) {
      this.lastError = `log reader: ended ${orphans.length} tcpdump(s) an earlier helper left on NFLOG group ${this.group}`;
    }
    if (this.stopped) return;
    return this.spawnNow();
  }

  private spawnNow(): Promise<void> {
    return new Promise((resolve) => {
      const decoder = new PcapNflogDecoder();
      // NOTE: no `-s`: libpcap sizes its receive buffer from the snap length, and a small one
      // truncates the kernel's batches of NFLOG messages into garbage records (libpcap 1.10).
      // Tied: tcpdump ends when the helper does, kill -9 included (children.ts).
      const child = spawnTied(this.tcpdump, ['-i', `nflog:${this.group}`, '-U', '-w', '-'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.length > 4096) stderr = stderr.slice(-4096);
        if (/listening on/.test(stderr)) {
          this.state = 'running';
          settle();
        }
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        for (const packet of decoder.push(chunk)) {
          try {
            this.onPacket(packet);
          } catch (error) {
            this.lastError = `log handler: ${(error as Error).message}`;
          }
        }
        if (decoder.error) {
          this.lastError = `log reader: ${decoder.error}`;
          child.kill();
        }
      });
      child.on('error', (error) => {
        this.state = 'unavailable';
        this.lastError = `log reader: cannot run ${this.tcpdump}: ${error.message}`;
        this.stopped = true;
        settle();
      });
      child.on('close', () => {
        if (this.child === child) this.child = undefined;
        settle();
        if (this.stopped) return;
        this.state = 'stopped';
        this.lastError = `log reader: tcpdump exited: ${stderr.trim().split('\n').pop() ?? ''}`;
        this.restartTimer = setTimeout(() => void this.spawn(), 2000);
      });
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.state !== 'unavailable') this.state = 'stopped';
    this.child?.kill();
    this.child = undefined;
  }
}
