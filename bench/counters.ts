// Runtime: Node, root (benchmarks). Counters: CPU used by the helper and every program it runs
// (nft) while it streams the counters of a 10,000-rule tree to a client subscribed as the app is
// (ticks at 1 Hz, counts every APP_COUNTS_MS between them), with iperf3
// traffic flowing through the tree. CPU comes from /proc (bench/proc.ts), so it includes nft
// processes the helper started and reaped during the window.

import { APP_COUNTS_MS } from '../electron/common/helper-link.ts';
import { CLIENT_ADDRESS, SERVER_ADDRESS, createBenchNet } from './bench-net.ts';
import { missingPrerequisite } from './dataplane.ts';
import { generateDocument } from './generate.ts';
import { cpuTimes } from './proc.ts';
import { targets, type Figure, type Part, type PartResult, type RunOptions } from './report.ts';
import { privateDir, run, runOk, sleep, start, stop } from './sh.ts';
import { loadCompiler, prefillTriggered, startHelper } from './treewall.ts';

const RULES = 10_000;
const PORT = 5201;

export const counters: Part = {
  name: 'counters',
  summary:
    'helper + nft CPU while streaming 10,000-rule counters as the app does (1 Hz ticks + counts) with traffic',
  async run(options: RunOptions): Promise<PartResult> {
    const missing = missingPrerequisite();
    if (missing) return { status: 'skipped', why: missing };
    const compiler = await loadCompiler();
    if ('skip' in compiler) return { status: 'skipped', why: compiler.skip };
    const windowSeconds = options.quick ? 8 : 20;

    const net = await createBenchNet();
    const files = privateDir();
    const helper = await startHelper(net.server);
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
      // Reference: what reading every counter once costs through the nft command line (the
      // named counters, and the verdict maps' per-element counters), in CPU seconds.
      const readCpu = await nftReadCpuSeconds(net.inServer);
      const figures: Figure[] = [
        {
          part: 'counters',
          name: 'nft CLI: one read of every counter (list counters + list maps)',
          value: readCpu * 100,
          unit: '% of a core at 1 Hz',
        },
      ];
      options.log(
        `counters: one nft read of every counter costs ${(readCpu * 1000).toFixed(0)} ms CPU`,
      );

      let ticks = 0;
      let changedRules = 0;
      // As the app subscribes (electron/common/helper-link.ts): ticks at 1 Hz and counts between
      // them, so the helper reads as often as it does for the app.
      const unsubscribe = await helper.streamCounters(
        1000,
        (changed) => {
          ticks += 1;
          changedRules += changed;
        },
        APP_COUNTS_MS,
      );
      await sleep(2000); // let the stream and the traffic settle
      const ticks0 = ticks;
      const cpu0 = cpuTimes(helper.pid);
      const t0 = performance.now();
      await sleep(windowSeconds * 1000);
      const cpu1 = cpuTimes(helper.pid);
      const seconds = (performance.now() - t0) / 1000;
      const windowTicks = ticks - ticks0;
      unsubscribe();
      const own = cpu1.own - cpu0.own;
      const kids = cpu1.children - cpu0.children;
      const percent = ((own + kids) / seconds) * 100;
      options.log(
        `counters: helper ${own.toFixed(2)} s + its children (nft, readers) ${kids.toFixed(2)} s CPU in ${seconds.toFixed(1)} s, ${windowTicks} ticks, ${changedRules} rule changes reported in all`,
      );
      const notes = [
        `counters: helper in the server namespace, subscribed as the app is (ticks at 1 Hz, counts every ${APP_COUNTS_MS} ms: quick readings, only the maps whose guards moved, and a full one every 5 s), ${windowSeconds} s window after 2 s of warm-up, iperf3 -b 200M from ${CLIENT_ADDRESS}; CPU = utime+stime of the helper and its children (exited and live) from /proc. The nft CLI reference is the CPU of \`nft -j list counters table inet treewall\` plus \`nft -j list maps\` once, i.e. the floor of a reader built on the nft command.`,
      ];
      notes.push(
        `counters: of the helper's ${percent.toFixed(1)}%: the Node process itself ${((own / seconds) * 100).toFixed(1)}%, the programs it ran (counter readers, nft) ${((kids / seconds) * 100).toFixed(1)}%; ${windowTicks} ticks in ${seconds.toFixed(0)} s.`,
      );
      if (windowTicks < seconds / 2) {
        const why = await helper.lastError();
        notes.push(
          `counters: NOT MEASURED: the helper sent ${windowTicks} counter ticks in ${seconds.toFixed(0)} s (helper's last error: ${why?.slice(0, 200) ?? 'none reported'}); its CPU in that window was ${percent.toFixed(1)}% of a core.`,
        );
        return { status: 'ran', figures, notes };
      }
      figures.unshift(
        {
          part: 'counters',
          name: `helper + nft CPU, ${RULES.toLocaleString('en-US')} rules, ticks at 1 Hz + counts every ${APP_COUNTS_MS} ms`,
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
      );
      return { status: 'ran', figures, notes };
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

/** CPU seconds (user + system) of reading every counter of our table once with the nft CLI. */
async function nftReadCpuSeconds(inNs: (argv: string[]) => string[]): Promise<number> {
  const q = (argv: string[]) => argv.map((a) => `'${a}'`).join(' ');
  const script = `TIMEFORMAT='%3U %3S'; time { ${q(inNs(['nft', '-j', 'list', 'counters', 'table', 'inet', 'treewall']))} >/dev/null; ${q(inNs(['nft', '-j', 'list', 'maps']))} >/dev/null; }`;
  const r = await runOk(['bash', '-c', script]);
  const [user, system] = r.stderr.trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  if (user === undefined || system === undefined || Number.isNaN(user + system)) {
    throw new Error(`could not read the CPU time of nft: ${r.stderr}`);
  }
  return user + system;
}
