// Runtime: plain Node, tests only (root, iproute2, nft). A small test-host library: throw-away
// network namespaces joined by veth pairs, commands and nft JSON run inside them, and fast probes
// (TCP connect, UDP datagram, ICMP echo) through a long-lived agent in each namespace.
// Invariant: everything it creates is named `tw-<area>-<pid>-<rand>-<label>`, is tracked, and is
// deleted by `cleanup()`; `sweepStale()` removes what a crashed run (dead pid) left behind. It never
// sends traffic outside its own namespaces.
//
// API
//   kernelTestsAvailable: boolean            root + ip + nft present (use with it.skipIf(!...))
//   kernelSkipReason: string | undefined      why not, for honest skip messages
//   run(cmd, args, {timeoutMs, allowFail})    spawn in the root namespace -> {code, stdout, stderr, ms}
//                                              (re-exported from processes.ts, as is which())
//   sweepStale(area?)                          delete tw-* namespaces whose creating pid is dead
//   new TestNet(area)                           one per test file; `await net.cleanup()` in afterAll
//     net.namespace(label)                      -> Namespace (lo up, rp_filter off, DAD off)
//     net.link(a, b, {aName, bName, aAddresses, bAddresses})  veth pair a<->b with addresses
//       addresses are CIDR strings, IPv4 or IPv6 ('10.0.0.1/24', 'fd00::1/64'); IPv6 skips DAD
//     net.cleanup()                              stop agents, delete every namespace created
//     net.removeAtExit()                         also delete them synchronously at exit / Ctrl-C
//   Namespace
//     .name, .exec(args, opts), .sh(script)     run `ip netns exec NAME ...`
//     .nft(args) -> stdout, .nftJson(args) -> parsed JSON (`nft -j ARGS`)
//     .loadNft(docOrText)                        object: `nft -j -f FILE`; string: `nft -f FILE`
//                                                (FILE is a private 0600 temp file, removed after)
//     .tcpConnect(host, port, {timeoutMs=300, localAddress, localPort, close:'reset'|'graceful'})
//          -> {result: 'connected'|'reset'|'timeout'|'error', ms}
//     .udpSend(host, port, {payload, localAddress, localPort, replyTimeoutMs})
//          -> {result: 'sent'|'reply'|'timeout'|'error'}  (a listenUdp listener echoes)
//     .ping(host, {timeoutMs=300}) -> {result: 'reply'|'timeout'}
//     .listenTcp(port) / .listenUdp(port, {echo}) -> Listener {id, stats(), close()}
//     .events: recent agent events ({event:'accept'|'datagram', ...})
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { run, which, type ExecResult, type RunOptions } from './processes.ts';

export { run, which, type ExecResult, type RunOptions } from './processes.ts';

function detectSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'kernel tests need Linux';
  if (process.getuid?.() !== 0) return 'kernel tests need root (network namespaces, nft)';
  for (const tool of ['ip', 'nft']) if (!which(tool)) return `kernel tests need ${tool}`;
  return undefined;
}

export const kernelSkipReason: string | undefined = detectSkipReason();
export const kernelTestsAvailable: boolean = kernelSkipReason === undefined;

const agentPath = join(dirname(fileURLToPath(import.meta.url)), 'ns-agent.mjs');

export type ConnectResult = 'connected' | 'reset' | 'timeout' | 'error';

export interface Listener {
  id: number;
  stats(): Promise<{ accepted?: number; datagrams?: number; bytes: number }>;
  close(): Promise<void>;
}

interface AgentReply {
  id: number;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** One long-lived ns-agent.mjs inside a namespace; requests are matched to replies by id. */
class Agent {
  private child: ChildProcess;
  private nextId = 1;
  private pending = new Map<number, (reply: AgentReply) => void>();
  readonly events: Record<string, unknown>[] = [];

  constructor(namespace: string) {
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, agentPath], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const lines = createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => {
      let message: AgentReply | Record<string, unknown>;
      try {
        message = JSON.parse(line) as AgentReply;
      } catch {
        return;
      }
      if (typeof message.id === 'number') {
        const resolve = this.pending.get(message.id);
        this.pending.delete(message.id);
        resolve?.(message as AgentReply);
      } else {
        this.events.push(message);
        if (this.events.length > 1000) this.events.shift();
      }
    });
    this.child.on('close', () => {
      for (const resolve of this.pending.values()) {
        resolve({ id: -1, ok: false, error: 'agent exited' });
      }
      this.pending.clear();
    });
  }

  request(op: string, args: Record<string, unknown>): Promise<AgentReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error))));
      this.child.stdin!.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  stop(): void {
    this.child.stdin?.end();
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

export class Namespace {
  private agentInstance?: Agent;

  constructor(readonly name: string) {}

  exec(args: string[], options?: RunOptions): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.name, ...args], options);
  }

  sh(script: string, options?: RunOptions): Promise<ExecResult> {
    return this.exec(['sh', '-c', script], options);
  }

  async nft(args: string[], options?: RunOptions): Promise<string> {
    return (await this.exec(['nft', ...args], options)).stdout;
  }

  async nftJson(args: string[]): Promise<unknown> {
    return JSON.parse(await this.nft(['-j', ...args]));
  }

  /** Load a libnftables JSON document (object) or nft text (string) as one transaction. */
  async loadNft(document: unknown): Promise<ExecResult> {
    // NOTE: `nft -f -` fails from Node (stdin is a socket), so a private temp file it is.
    const dir = mkdtempSync(join(tmpdir(), 'tw-nft-'));
    const file = join(dir, 'ruleset');
    try {
      const json = typeof document !== 'string';
      writeFileSync(file, json ? JSON.stringify(document) : document, { mode: 0o600 });
      // A load takes milliseconds; the generous bound only rides out a machine that is briefly
      // swamped (seen once: a 30 s stall while other jobs loaded 100k-rule tables).
      return await this.exec(json ? ['nft', '-j', '-f', file] : ['nft', '-f', file], {
        timeoutMs: 120_000,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private get agent(): Agent {
    this.agentInstance ??= new Agent(this.name);
    return this.agentInstance;
  }

  get events(): Record<string, unknown>[] {
    return this.agent.events;
  }

  async tcpConnect(
    host: string,
    port: number,
    options: {
      timeoutMs?: number;
      localAddress?: string;
      localPort?: number;
      close?: 'reset' | 'graceful';
      send?: string;
    } = {},
  ): Promise<{ result: ConnectResult; ms: number; detail?: string }> {
    const reply = await this.agent.request('tcpConnect', { host, port, ...options });
    return reply as unknown as { result: ConnectResult; ms: number; detail?: string };
  }

  async udpSend(
    host: string,
    port: number,
    options: {
      payload?: string;
      localAddress?: string;
      localPort?: number;
      replyTimeoutMs?: number;
    } = {},
  ): Promise<{ result: 'sent' | 'reply' | 'timeout' | 'error'; detail?: string }> {
    const reply = await this.agent.request('udpSend', { host, port, ...options });
    return reply as unknown as { result: 'sent' | 'reply' | 'timeout' | 'error' };
  }

  async ping(
    host: string,
    options: { timeoutMs?: number; source?: string } = {},
  ): Promise<{ result: 'reply' | 'timeout' }> {
    const reply = await this.agent.request('ping', { host, ...options });
    return reply as unknown as { result: 'reply' | 'timeout' };
  }

  private listener(id: number): Listener {
    return {
      id,
      stats: async () => {
        const reply = await this.agent.request('stats', { listener: id });
        return reply as unknown as { accepted?: number; datagrams?: number; bytes: number };
      },
      close: async () => {
        await this.agent.request('close', { listener: id });
      },
    };
  }

  async listenTcp(port: number, host?: string): Promise<Listener> {
    const reply = await this.agent.request('listenTcp', { port, host });
    return this.listener(reply.listener as number);
  }

  async listenUdp(
    port: number,
    options: { host?: string; echo?: boolean } = {},
  ): Promise<Listener> {
    const reply = await this.agent.request('listenUdp', { port, ...options });
    return this.listener(reply.listener as number);
  }

  /** @internal */
  stopAgent(): void {
    this.agentInstance?.stop();
    this.agentInstance = undefined;
  }
}

export interface LinkOptions {
  aName?: string;
  bName?: string;
  aAddresses?: string[];
  bAddresses?: string[];
}

export class TestNet {
  readonly prefix: string;
  private namespaces: Namespace[] = [];

  /** `area` names the owner (`eval`, `compiler`, `helper`); keep it short: a-z0-9. */
  constructor(area: string) {
    if (!/^[a-z0-9]{1,12}$/.test(area)) throw new Error(`TestNet area must be a-z0-9: ${area}`);
    this.prefix = `tw-${area}-${process.pid.toString(36)}-${randomBytes(2).toString('hex')}`;
  }

  async namespace(label: string): Promise<Namespace> {
    if (!/^[a-z0-9]{1,12}$/.test(label))
      throw new Error(`namespace label must be a-z0-9: ${label}`);
    const ns = new Namespace(`${this.prefix}-${label}`);
    await run('ip', ['netns', 'add', ns.name]);
    this.namespaces.push(ns);
    await ns.sh(
      [
        'ip link set lo up',
        'sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0',
        'sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0',
        // Keep the test quiet: no router solicitations or other IPv6 chatter on the veths.
        'sysctl -qw net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0',
      ].join(' && '),
    );
    return ns;
  }

  /** A veth pair between two namespaces (interface names are per namespace, so `eth0` is fine). */
  async link(a: Namespace, b: Namespace, options: LinkOptions = {}): Promise<void> {
    const aName = options.aName ?? 'eth0';
    const bName = options.bName ?? 'eth0';
    await run('ip', [
      'link',
      'add',
      aName,
      'netns',
      a.name,
      'type',
      'veth',
      'peer',
      'name',
      bName,
      'netns',
      b.name,
    ]);
    for (const [ns, name, addresses] of [
      [a, aName, options.aAddresses ?? []],
      [b, bName, options.bAddresses ?? []],
    ] as const) {
      for (const address of addresses) {
        const v6 = address.includes(':');
        await ns.exec([
          'ip',
          ...(v6 ? ['-6'] : []),
          'addr',
          'add',
          address,
          'dev',
          name,
          ...(v6 ? ['nodad'] : []),
        ]);
      }
      await ns.exec(['ip', 'link', 'set', name, 'up']);
    }
    // Permanent neighbour entries both ways: no ARP/NDP delay on the first probe (a lost first
    // SYN costs a 1 s retransmit), and no ICMPv6 neighbour traffic crossing the rules under test.
    const macOf = async (ns: Namespace, name: string): Promise<string> =>
      (await ns.exec(['cat', `/sys/class/net/${name}/address`])).stdout.trim();
    const aMac = await macOf(a, aName);
    const bMac = await macOf(b, bName);
    const neighbours = [
      [a, aName, options.bAddresses ?? [], bMac],
      [b, bName, options.aAddresses ?? [], aMac],
    ] as const;
    for (const [ns, name, peerAddresses, mac] of neighbours) {
      for (const cidr of peerAddresses) {
        const address = cidr.split('/')[0]!;
        await ns.exec([
          'ip',
          'neigh',
          'replace',
          address,
          'lladdr',
          mac,
          'dev',
          name,
          'nud',
          'permanent',
        ]);
      }
    }
  }

  /** The MAC address of an interface inside a namespace. */
  async mac(ns: Namespace, name: string): Promise<string> {
    return (await ns.exec(['cat', `/sys/class/net/${name}/address`])).stdout.trim();
  }

  /**
   * Also delete this net's namespaces synchronously when the process exits or is interrupted
   * (SIGINT/SIGTERM), for long runs such as the benchmarks: a Ctrl-C leaves nothing behind.
   */
  removeAtExit(): void {
    liveNets.add(this);
    hookExit();
  }

  /** @internal The synchronous half of removeAtExit. */
  deleteNowSync(): void {
    for (const ns of this.namespaces.splice(0)) {
      ns.stopAgent();
      spawnSync('ip', ['netns', 'del', ns.name], { stdio: 'ignore' });
    }
  }

  async cleanup(): Promise<void> {
    liveNets.delete(this);
    for (const ns of this.namespaces) ns.stopAgent();
    const errors: string[] = [];
    for (const ns of this.namespaces.splice(0)) {
      const result = await run('ip', ['netns', 'del', ns.name], { allowFail: true });
      if (result.code !== 0) errors.push(result.stderr.trim());
    }
    if (errors.length) throw new Error(`cleanup failed: ${errors.join('; ')}`);
  }
}

const liveNets = new Set<TestNet>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const cleanup = () => {
    for (const net of liveNets) net.deleteNowSync();
    liveNets.clear();
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Delete `tw-<area>-<pid>-...` namespaces whose creating process is gone (a crashed earlier run). */
export async function sweepStale(area?: string): Promise<string[]> {
  const list = await run('ip', ['netns', 'list'], { allowFail: true });
  const removed: string[] = [];
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = /^tw-([a-z0-9]+)-([a-z0-9]+)-[0-9a-f]{4}-/.exec(name);
    if (!match || (area && match[1] !== area)) continue;
    const pid = parseInt(match[2]!, 36);
    if (processAlive(pid)) continue;
    await run('ip', ['netns', 'del', name], { allowFail: true });
    removed.push(name);
  }
  return removed;
}
