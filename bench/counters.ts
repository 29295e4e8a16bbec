// Runtime: Node, root (benchmarks). Counters: CPU used by the helper and every program it runs
// (nft) while it streams the counters of a 10,000-rule tree at 1 Hz to a client, with iperf3
// traffic flowing through the tree. CPU comes from /proc (bench/proc.ts), so it includes nft
// processes the helper started and reaped during the window.

import { CLIENT_ADDRESS, SERVER_ADDRESS, createBenchNet } from './bench-net.ts';
import { missingPrerequisite } from './dataplane.ts';
import { generateDocument } from './generate.ts';
import { cpuSeconds } from './proc.ts';
import { targets, type Part, type PartResult, type RunOptions } from './report.ts';
import { privateDir, run, sleep, start, stop } from './sh.ts';
import { loadCompiler, prefillTriggered, startHelper } from './treewall.ts';

const RULES = 10_000;
const PORT = 5201;

export const counters: Part = {
  name: 'counters',
  summary: 'helper + nft CPU while streaming 10,000-rule counters at 1 Hz with traffic',
  async run(options: RunOptions): Promise<PartResult> {
    const missing = missingPrerequisite();
    if (missing) return { status: 'skipped', why: missing };
    const compiler = await loadCompiler();
    if ('skip' in compiler) return { status: 'skipped', why: compiler.skip };
    const windowSeconds = options.quick ? 8 : 20;

    const net = await createBenchNet();
    const files = privateDir();
    const helper = await startHelper(net.inServer, files);
    if ('skip' in helper) {
      await net.remove();
      files.remove();
      return { status: 'skipped', why: helper.skip };
    }
    const server = start(net.inServer(['iperf3', '-s', '-p', String(PORT)]));
    let traffic: ReturnType<typeof start> | undefined;
    try {
      await helper.apply(generateDocument(RULES));
      await prefillTriggered(net.inServer, files, 10_000);
      await sleep(300);
      // Paced traffic: enough to move counters every second without starving the helper of CPU.
      traffic = start(
        net.inClient([
          'iperf3',
          '-c',
          SERVER_ADDRESS,
          '-p',
          String(PORT),
          '-b',
          '200M',
          '-t',
          String(windowSeconds + 6),
        ]),
      );
      let ticks = 0;
      let changedRules = 0;
      const unsubscribe = await helper.streamCounters(1000, (changed) => {
        ticks += 1;
        changedRules += changed;
      });
      await sleep(2000); // let the stream and the traffic settle
      const ticks0 = ticks;
      const cpu0 = cpuSeconds(helper.pid);
      const t0 = performance.now();
      await sleep(windowSeconds * 1000);
      const cpu1 = cpuSeconds(helper.pid);
      const seconds = (performance.now() - t0) / 1000;
      const windowTicks = ticks - ticks0;
      unsubscribe();
      const percent = ((cpu1 - cpu0) / seconds) * 100;
      options.log(
        `counters: ${(cpu1 - cpu0).toFixed(2)} s CPU in ${seconds.toFixed(1)} s, ${windowTicks} ticks, ${changedRules} rule changes reported in all`,
      );
      if (windowTicks < seconds / 2) {
        throw new Error(
          `only ${windowTicks} counter ticks in ${seconds.toFixed(0)} s: the stream is not running at 1 Hz`,
        );
      }
      return {
        status: 'ran',
        figures: [
          {
            part: 'counters',
            name: `helper + nft CPU, ${RULES.toLocaleString('en-US')} rules at 1 Hz`,
            value: percent,
            unit: '% of a core',
            target: targets.below(5, '< 5% of a core'),
          },
          {
            part: 'counters',
            name: 'counter ticks received',
            value: windowTicks / seconds,
            unit: 'per s',
          },
        ],
        notes: [
          `counters: helper in the server namespace, ${windowSeconds} s window after 2 s of warm-up, iperf3 -b 200M from ${CLIENT_ADDRESS}; CPU = utime+stime of the helper and its children (exited and live) from /proc.`,
        ],
      };
    } finally {
      if (traffic) await stop(traffic);
      await stop(server);
      await helper.stop();
      await run(net.inServer(['nft', 'flush', 'ruleset']));
      await net.remove();
      files.remove();
    }
  },
};
