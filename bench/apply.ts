// Runtime: Node, root (benchmarks). Apply: how long treewall takes from a document to rules in
// force, against loading the very same compiled ruleset with `nft -j -f FILE` directly (the
// floor: the kernel transaction itself). Measured through the helper when it exists (apply call
// round trip over its Unix socket: validate, compile, write, nft), otherwise as compile + write
// + `nft -j -f` in this process (and the table says which). Both sides start from an empty
// namespace each time. Also reports the pure compile() time (target: 100,000 rules < 1 s).

import { loadavg } from 'node:os';
import { createBenchNet, type BenchNet } from './bench-net.ts';
import { generateDocument } from './generate.ts';
import {
  median,
  targets,
  type Figure,
  type Part,
  type PartResult,
  type RunOptions,
} from './report.ts';
import { cpuTimes, exitedChildrenCpu } from './proc.ts';
import { hasCommand, isRoot, privateDir, run, runOk } from './sh.ts';
import { loadCompiler, startHelper, type HelperHandle } from './treewall.ts';

export const apply: Part = {
  name: 'apply',
  summary: 'compile + apply 1k/10k/100k-rule documents vs nft -j -f of the same ruleset',
  async run(options: RunOptions): Promise<PartResult> {
    if (!isRoot()) return { status: 'skipped', why: 'needs root (network namespaces and nft)' };
    if (!hasCommand('nft')) return { status: 'skipped', why: 'nft is not installed' };
    const compiler = await loadCompiler();
    if ('skip' in compiler) return { status: 'skipped', why: compiler.skip };

    const sizes = options.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
    const figures: Figure[] = [];
    const notes: string[] = [];
    const net: BenchNet = await createBenchNet();
    const files = privateDir();
    let helper: HelperHandle | { skip: string } = { skip: 'not started' };
    try {
      // The helper prints its step timings (wall/CPU per phase of each request), read back below.
      helper = await startHelper(net.server, { timings: true });
      const via = 'skip' in helper ? 'direct (compile + nft in the benchmark)' : 'helper';
      if ('skip' in helper) notes.push(`apply: measured without the helper (${helper.skip}).`);
      for (const size of sizes) {
        const doc = generateDocument(size);
        const reps = options.quick ? 2 : 3;
        const compileMs: number[] = [];
        const compileCpuMs: number[] = [];
        const applyMs: number[] = [];
        const nftMs: number[] = [];
        const textMs: number[] = [];
        const nftCpuMs: number[] = [];
        // Per helper apply: CPU of the benchmark's client (encoding the document, the call), of
        // the helper's Node process, of the programs it ran (nft, the netlink reader), its phases.
        const split: {
          client: number;
          helper: number;
          programs: number;
          phases: string;
          out0: number;
        }[] = [];
        let format: 'json' | 'text' = 'json';
        for (let i = 0; i < reps; i++) {
          const t0 = performance.now();
          const cpu0 = process.cpuUsage();
          const program = compiler.compile(doc);
          const cpu = process.cpuUsage(cpu0);
          compileMs.push(performance.now() - t0);
          compileCpuMs.push((cpu.user + cpu.system) / 1000);

          // References: the kernel loading the same compiled program, from an empty namespace.
          await runOk(net.inServer(['nft', 'flush', 'ruleset']));
          // The previous apply's fingerprint listing must not run during the reference load: a
          // status right after an apply does not wait for it (the table is untouched), one after
          // this flush (a transaction since) does.
          if (!('skip' in helper)) await helper.lastError();
          const refFile = files.file(`ref-${size}.json`, program.json());
          const children0 = exitedChildrenCpu();
          const json = await run(net.inServer(['nft', '-j', '-f', refFile]), {
            timeoutMs: 300_000,
          });
          // CPU of the reference (ip netns exec + nft; /proc's 10 ms ticks).
          nftCpuMs.push((exitedChildrenCpu() - children0) * 1000);
          if (json.code === 0) nftMs.push(json.ms);
          else {
            format = 'text';
            notes.push(
              `apply: nft refused the compiled JSON of ${size} rules (${json.stderr.trim().split('\n')[0]}); the text rendering is the reference and the direct path.`,
            );
          }
          // The text rendering as a second reference (skipped at 100,000 rules unless the JSON was
          // refused: each load takes minutes there, and the suite must fit in 10).
          let text: { ms: number } | undefined;
          if (format === 'text' || size < 100_000) {
            await runOk(net.inServer(['nft', 'flush', 'ruleset']));
            text = await runOk(
              net.inServer(['nft', '-f', files.file(`ref-${size}.nft`, program.text())]),
              {
                timeoutMs: 300_000,
              },
            );
            textMs.push(text.ms);
          }

          await runOk(net.inServer(['nft', 'flush', 'ruleset']));
          const t1 = performance.now();
          if ('skip' in helper) {
            const again = compiler.compile(doc);
            const file = files.file(
              `direct-${size}.${format}`,
              format === 'json' ? again.json() : again.text(),
            );
            await runOk(net.inServer(['nft', ...(format === 'json' ? ['-j'] : []), '-f', file]), {
              timeoutMs: 300_000,
            });
          } else {
            const before = cpuTimes(helper.pid);
            const client0 = process.cpuUsage();
            const out0 = helper.output().length;
            await helper.apply(doc);
            const client = process.cpuUsage(client0);
            const after = cpuTimes(helper.pid);
            split.push({
              client: (client.user + client.system) / 1000,
              helper: (after.own - before.own) * 1000,
              programs: (after.children - before.children) * 1000,
              phases: '',
              out0,
            });
          }
          applyMs.push(performance.now() - t1);
          // The helper replies once the rules are in force and then reads the table back for
          // its fingerprint (a full listing), waited for (above) before the next reference load.
          if (!('skip' in helper)) {
            await helper.lastError();
            // The helper prints an apply's timings just after its reply: there by now.
            const last = split.at(-1);
            if (last)
              last.phases =
                /timings apply: (.*); total/.exec(helper.output().slice(last.out0))?.[1] ?? '';
          }
          const last = split.at(-1);
          options.log(
            `apply ${size}: compile ${compileMs.at(-1)?.toFixed(0)} ms, ${via} ${applyMs.at(-1)?.toFixed(0)} ms${last ? ` (CPU: client ${last.client.toFixed(0)}, helper ${last.helper.toFixed(0)}, its programs ${last.programs.toFixed(0)} ms; phases wall/CPU ms: ${last.phases})` : ''}, nft -j -f ${json.code === 0 ? json.ms.toFixed(0) : 'refused'} ms (CPU ${nftCpuMs.at(-1)?.toFixed(0)} ms), nft -f text ${text ? text.ms.toFixed(0) : '-'} ms; load ${(loadavg()[0] ?? 0).toFixed(1)}`,
          );
        }
        const label = size.toLocaleString('en-US');
        const reference =
          format === 'json'
            ? { name: 'nft -j -f', value: median(nftMs) }
            : { name: 'nft -f (text)', value: median(textMs) };
        figures.push({
          part: 'apply',
          name: `compile ${label} rules`,
          value: median(compileMs),
          unit: 'ms',
        });
        figures.push({
          part: 'apply',
          name: `compile ${label} rules, CPU time (steadier on a shared machine)`,
          value: median(compileCpuMs),
          unit: 'ms',
          ...(size === 100_000 ? { target: targets.below(400, '< 0.4 s CPU') } : {}),
        });
        figures.push({
          part: 'apply',
          name: `apply ${label} rules (${'skip' in helper ? `direct, ${format}` : 'helper'})`,
          value: median(applyMs),
          unit: 'ms',
          reference,
          target: targets.ratioAtMost(1.2, '<= 1.2x nft'),
        });
        if (size === 100_000) {
          figures.push({
            part: 'apply',
            name: `apply ${label} rules (${'skip' in helper ? `direct, ${format}` : 'helper'}), absolute`,
            value: median(applyMs),
            unit: 'ms',
            target: targets.below(5000, '< 5 s'),
          });
        }
        // A second apply right after the first returned: it must not wait long for what the
        // first does behind its reply (the fingerprint listing, the first counter reading).
        if (size === 10_000 && !('skip' in helper)) {
          const secondMs: number[] = [];
          for (let i = 0; i < reps; i++) {
            await runOk(net.inServer(['nft', 'flush', 'ruleset']));
            await helper.apply(doc);
            const t2 = performance.now();
            await helper.apply(doc);
            secondMs.push(performance.now() - t2);
            await helper.lastError();
            options.log(
              `apply ${size}: second apply right after the first ${secondMs.at(-1)?.toFixed(0)} ms`,
            );
          }
          figures.push({
            part: 'apply',
            name: `second apply right after the first, ${label} rules (helper)`,
            value: median(secondMs),
            unit: 'ms',
            reference: { name: 'a single apply', value: median(applyMs) },
            target: targets.ratioAtMost(1.2, '<= 1.2x a single apply'),
          });
          notes.push(
            `apply: second apply, per run (ms): ${secondMs.map((v) => v.toFixed(0)).join(', ')}; single applies: ${applyMs.map((v) => v.toFixed(0)).join(', ')}.`,
          );
        }
        notes.push(
          `apply ${label}: per run (ms): helper ${applyMs.map((v) => v.toFixed(0)).join(', ')}; nft -j -f ${nftMs.map((v) => v.toFixed(0)).join(', ')} (CPU ${nftCpuMs.map((v) => v.toFixed(0)).join(', ')}); compile CPU ${compileCpuMs.map((v) => v.toFixed(0)).join(', ')}.`,
        );
        if (split.length > 0) {
          const cpuSum = (s: (typeof split)[number]) => s.client + s.helper + s.programs;
          // The phase breakdown of the run with the median CPU (all runs' totals beside it).
          const mid = [...split].sort((a, b) => cpuSum(a) - cpuSum(b))[
            Math.floor(split.length / 2)
          ];
          if (mid) {
            notes.push(
              `apply ${label}: where the helper's apply goes, median-CPU run: CPU client ${mid.client.toFixed(0)} ms (encoding, the call), helper ${mid.helper.toFixed(0)} ms (Node, with its GC threads), its programs ${mid.programs.toFixed(0)} ms (nft, the netlink reader; 10 ms ticks), against nft -j -f alone ${median(nftCpuMs).toFixed(0)} ms; CPU totals per run ${split.map((s) => cpuSum(s).toFixed(0)).join(', ')} ms; the helper's phases (wall/CPU ms, in the order they run: json = parse of the request, schema = its check, compile, nft started = the program written to the nft started ahead (all but its closing brace), validate = the document's validation while nft parses, counters = the old table's last counts, nft+stage = the rest of nft's load (after the closing brace) while the state is staged, install = counters/reader/fingerprint set-up): ${mid.phases}.`,
            );
          }
          figures.push({
            part: 'apply',
            name: `apply ${label} rules, CPU of client + helper + its programs`,
            value: median(split.map(cpuSum)),
            unit: 'ms',
            reference: { name: 'nft -j -f CPU', value: median(nftCpuMs) },
            rounds: split.map(cpuSum),
          });
        }
        if (format === 'json' && textMs.length > 0) {
          figures.push({
            part: 'apply',
            name: `nft -f of the text rendering, ${label} rules`,
            value: median(textMs),
            unit: 'ms',
            reference,
          });
        }
      }
      notes.push(
        `apply: median of 3 runs (2 with --quick); each from an empty namespace; the reference loads the same compiled JSON with nft -j -f; document generation is not counted; the helper's time is the apply call's round trip (it replies once the rules are in force; its read-back of the table for the fingerprint comes after the reply and is waited for before the next run).`,
      );
    } finally {
      if (!('skip' in helper)) await helper.stop();
      await run(net.inServer(['nft', 'flush', 'ruleset']));
      await net.remove();
      files.remove();
    }
    return { status: 'ran', figures, notes };
  },
};
