// Runtime: Node, root (benchmarks). Data plane: iperf3 TCP throughput and ping latency across a
// veth pair between two namespaces, with the firewall in the server's namespace, for: no rules;
// a flat chain of 1,000 and 10,000 rules (what a linear tool produces); treewall's compiled
// 1,000- and 10,000-rule trees (bench/generate.ts, triggered table pre-filled). Every
// configuration runs in several interleaved rounds and keeps its best round: other work on the
// machine only ever lowers throughput, so the best round is the least disturbed one.

import { CLIENT_ADDRESS, SERVER_ADDRESS, createBenchNet, type BenchNet } from './bench-net.ts';
import { flatChainText } from './flat-chain.ts';
import { targets, type Figure, type Part, type PartResult, type RunOptions } from './report.ts';
import { hasCommand, isRoot, privateDir, run, runOk, sleep, start, stop } from './sh.ts';
import { loadRuleset, loadTreewall, prefillTriggered, type CompiledRuleset } from './treewall.ts';

const PORT = 5201;
const PINGS = 100;

interface Config {
  name: string;
  /** Loads the configuration into the server namespace (after its ruleset was flushed). */
  load: (net: BenchNet, files: ReturnType<typeof privateDir>) => Promise<void>;
}

interface Sample {
  gbps: number;
  rttMs: number;
}

export function missingPrerequisite(): string | undefined {
  if (!isRoot()) return 'needs root (network namespaces and nft)';
  for (const cmd of ['ip', 'nft', 'iperf3', 'ping']) {
    if (!hasCommand(cmd)) return `${cmd} is not installed`;
  }
  return undefined;
}

async function throughput(net: BenchNet, seconds: number): Promise<number> {
  const r = await runOk(
    net.inClient([
      'iperf3',
      '-c',
      SERVER_ADDRESS,
      '-p',
      String(PORT),
      '-t',
      String(seconds),
      '-O',
      '1',
      '-J',
    ]),
    { timeoutMs: (seconds + 20) * 1000 },
  );
  const report = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second?: number } } };
  const bps = report.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number') throw new Error('iperf3 reported no received throughput');
  return bps / 1e9;
}

async function latency(net: BenchNet, count: number): Promise<number> {
  const r = await runOk(
    net.inClient(['ping', '-c', String(count), '-i', '0.01', '-q', SERVER_ADDRESS]),
  );
  const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  if (!m?.[1]) throw new Error(`ping printed no round-trip times: ${r.stdout}`);
  return Number(m[1]);
}

/** Confirms that the loaded ruleset really is in the server namespace (guards a silent no-op). */
async function ruleCount(net: BenchNet): Promise<number> {
  const r = await runOk(net.inServer(['nft', 'list', 'ruleset']));
  return r.stdout.split('\n').filter((l) => /\b(counter|jump|goto|accept|drop|vmap)\b/.test(l))
    .length;
}

export function treewallConfig(
  size: number,
  compiled: CompiledRuleset,
  notes: Set<string>,
): Config {
  return {
    name: `treewall tree, ${size.toLocaleString('en-US')} rules`,
    load: async (net, files) => {
      const loaded = await loadRuleset(net.inServer, files, `tw-${size}`, compiled);
      if (loaded.via === 'text') {
        notes.add(
          `dataplane: nft refused the compiled JSON of the ${size}-rule tree (${loaded.jsonError}); the compiler's text rendering of the same program was loaded instead.`,
        );
      }
      const sets = await prefillTriggered(net.inServer, files, 10_000);
      if (sets.length === 0)
        notes.add(`dataplane: the ${size}-rule tree has no IPv4 triggered set to pre-fill.`);
    },
  };
}

export const dataplane: Part = {
  name: 'dataplane',
  summary: 'iperf3 throughput and ping latency over veth: no rules, flat chains, treewall trees',
  async run(options: RunOptions): Promise<PartResult> {
    const missing = missingPrerequisite();
    if (missing) return { status: 'skipped', why: missing };
    const seconds = options.quick ? 2 : 3;
    const rounds = options.quick ? 1 : 3;
    const notes: string[] = [];
    const loadNotes = new Set<string>();

    const configs: Config[] = [{ name: 'no rules', load: async () => {} }];
    for (const n of [1_000, 10_000]) {
      configs.push({
        name: `flat chain, ${n.toLocaleString('en-US')} rules`,
        load: async (net, files) => {
          await runOk(net.inServer(['nft', '-f', files.file(`flat-${n}.nft`, flatChainText(n))]));
        },
      });
    }
    const treewall = await loadTreewall();
    if ('skip' in treewall) {
      notes.push(`treewall trees skipped: ${treewall.skip}`);
    } else {
      for (const n of [1_000, 10_000]) {
        options.log(`dataplane: compiling the ${n}-rule tree`);
        configs.push(treewallConfig(n, treewall.compile(n), loadNotes));
      }
    }

    const net = await createBenchNet();
    const files = privateDir();
    const server = start(net.inServer(['iperf3', '-s', '-p', String(PORT)]));
    const samples = new Map<string, Sample[]>();
    try {
      await sleep(300);
      // The reference runs at both ends of every round: it gets twice the samples, and drift
      // in the machine's load during a round hits it as much as the rules.
      const schedule = [...configs, configs[0] as Config];
      for (let round = 0; round < rounds; round++) {
        for (const config of schedule) {
          await runOk(net.inServer(['nft', 'flush', 'ruleset']));
          await config.load(net, files);
          const loaded = await ruleCount(net);
          if (config.name !== 'no rules' && loaded === 0)
            throw new Error(`${config.name}: nothing loaded`);
          const gbps = await throughput(net, seconds);
          const rttMs = await latency(net, PINGS);
          options.log(
            `dataplane: round ${round + 1}/${rounds} ${config.name}: ${gbps.toFixed(2)} Gbit/s, ping ${rttMs.toFixed(3)} ms`,
          );
          samples.set(config.name, [...(samples.get(config.name) ?? []), { gbps, rttMs }]);
        }
      }
    } finally {
      await stop(server);
      await run(net.inServer(['nft', 'flush', 'ruleset']));
      await net.remove();
      files.remove();
    }

    const best = (name: string): Sample => {
      const s = samples.get(name) ?? [];
      return {
        gbps: Math.max(...s.map((x) => x.gbps)),
        rttMs: Math.min(...s.map((x) => x.rttMs)),
      };
    };
    const base = best('no rules');
    const figures: Figure[] = [];
    for (const config of configs) {
      const b = best(config.name);
      const isTree10k = config.name.startsWith('treewall') && config.name.includes('10,000');
      figures.push({
        part: 'dataplane',
        name: `throughput, ${config.name}`,
        value: b.gbps,
        unit: 'Gbit/s',
        ...(config.name === 'no rules'
          ? {}
          : { reference: { name: 'no rules', value: base.gbps } }),
        ...(isTree10k ? { target: targets.ratioAtLeast(0.95, '>= 95% of no rules') } : {}),
      });
    }
    for (const config of configs) {
      const b = best(config.name);
      figures.push({
        part: 'dataplane',
        name: `ping rtt, ${config.name}`,
        value: b.rttMs * 1000,
        unit: 'us',
        ...(config.name === 'no rules'
          ? {}
          : { reference: { name: 'no rules', value: base.rttMs * 1000 } }),
      });
    }
    notes.push(...loadNotes);
    notes.push(
      `dataplane: spread of the rounds (Gbit/s): ${configs
        .map((c) => {
          const g = (samples.get(c.name) ?? []).map((x) => x.gbps);
          return `${c.name} ${Math.min(...g).toFixed(1)}-${Math.max(...g).toFixed(1)}`;
        })
        .join('; ')}.`,
    );
    notes.push(
      `dataplane: iperf3 -t ${seconds} -O 1 client ${CLIENT_ADDRESS} -> server ${SERVER_ADDRESS}, firewall in the server namespace; best of ${rounds} interleaved round(s); ping avg of ${PINGS} at 10 ms intervals (the lowest round). No-rules runs at both ends of each round.`,
    );
    return { status: 'ran', figures, notes };
  },
};
