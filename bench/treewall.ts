// Runtime: Node (benchmarks). The seam between the benchmarks and treewall's own code: compiling
// a generated document, and filling its triggered table. Parts that need something not yet
// built get a reason to print (`skipped: ...`) instead of failing.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startHelper as startTreewallHelper,
  startServe as startTreewallServe,
} from '../electron/testing/treewall-processes.ts';
import { compile } from '../shared/compiler/index.ts';
import { formatProblem } from '../shared/model/validate.ts';
import { fileURLToPath } from 'node:url';
import type { FirewallDocument } from '../shared/model/types.ts';
import { generateDocument } from './generate.ts';
import { run, runOk, type privateDir } from './sh.ts';

export interface CompiledRuleset {
  /** libnftables JSON, as `nft -j -f FILE` takes it. */
  json: string;
  /** The compiler's text rendering of the same program (`nft -f FILE`), rendered on demand. */
  text: () => string;
  /** Compile time in milliseconds (the pure compile() call, document already built). */
  compileMs: number;
  rules: number;
}

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** One compile() result; serialising it is left to the caller, so compile time is compile() alone. */
export interface Program {
  /** libnftables JSON text, as `nft -j -f FILE` reads it. */
  json: () => string;
  /** The same program as nft text (`nft -f FILE`). */
  text: () => string;
}

export interface Compiler {
  /** compile(doc): the libnftables JSON text nft -j -f reads, and the same program as nft text. */
  compile: (doc: FirewallDocument) => Program;
}

function compiled(doc: FirewallDocument) {
  const result = compile(doc);
  if (!result.ok) {
    const first = result.problems.slice(0, 3).map(formatProblem).join('; ');
    throw new Error(`compile() refused the generated document: ${first}`);
  }
  return result;
}

export async function loadCompiler(): Promise<Compiler | { skip: string }> {
  return {
    compile: (doc) => {
      const result = compiled(doc);
      return { json: () => result.nft.json, text: () => result.text };
    },
  };
}

export async function loadTreewall(): Promise<
  { compile: (rules: number) => CompiledRuleset } | { skip: string }
> {
  const compiler = await loadCompiler();
  if ('skip' in compiler) return compiler;
  return {
    compile: (rules) => {
      const doc = generateDocument(rules);
      const started = performance.now();
      const program = compiler.compile(doc);
      const compileMs = performance.now() - started;
      return { json: program.json(), text: program.text, compileMs, rules };
    },
  };
}

export interface HelperHandle {
  pid: number;
  socket: string;
  apply: (doc: FirewallDocument) => Promise<void>;
  /** Subscribes to the counter stream; onTick gets the number of rules that changed. */
  /**
   * Subscribes as the app does (`countsMs`: counts between ticks, `APP_COUNTS_MS`); `onTick`
   * gets each tick (not the counts between them) with the number of rules it names.
   */
  streamCounters: (
    intervalMs: number,
    onTick: (changed: number) => void,
    countsMs?: number,
  ) => Promise<() => void>;
  /** The helper's own last error (status call), if any. */
  lastError: () => Promise<string | null>;
  /** What the helper printed since it started (its step timings, when asked for). */
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `treewall helper` inside namespace `ns`, or says why it cannot. */
export async function startHelper(
  ns: string,
  options: { timings?: boolean } = {},
): Promise<HelperHandle | { skip: string }> {
  if (!existsSync(here('../electron/cli/commands/helper.ts'))) {
    return { skip: 'the helper command (treewall helper) is not built yet' };
  }
  // TREEWALL_BENCH_HELPER_NODE_ARGS: extra node options for the helper, to profile it
  // (`--cpu-prof --cpu-prof-dir=DIR`; node refuses --cpu-prof in NODE_OPTIONS).
  // TREEWALL_HELPER_TIMINGS=1 (inherited by the helper): show its per-request step timings.
  // options.timings: this helper prints its step timings (read back through `output`).
  const echoStderr = process.env.TREEWALL_HELPER_TIMINGS === '1';
  const saved = process.env.TREEWALL_HELPER_TIMINGS;
  if (options.timings) process.env.TREEWALL_HELPER_TIMINGS = '1';
  let helper: Awaited<ReturnType<typeof startTreewallHelper>> | undefined;
  try {
    helper = await startTreewallHelper({
      namespace: ns,
      nodeArgs: process.env.TREEWALL_BENCH_HELPER_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
      echoStderr,
    });
  } finally {
    if (saved === undefined) delete process.env.TREEWALL_HELPER_TIMINGS;
    else process.env.TREEWALL_HELPER_TIMINGS = saved;
  }
  const started = helper;
  if (!started) return { skip: 'the helper did not start' };
  const client = await started.connect();
  return {
    pid: started.pid,
    socket: started.socket,
    apply: async (doc) => {
      await client.call('apply', { document: doc });
    },
    streamCounters: async (intervalMs, onTick, countsMs) => {
      const off = client.on('counters:tick', (tick) => {
        if (!tick.partial) onTick(Object.keys(tick.changed).length);
      });
      await client.call('countersSubscribe', {
        intervalMs,
        ...(countsMs === undefined ? {} : { countsMs }),
      });
      return () => {
        off();
        void client.call('countersUnsubscribe', {}).catch(() => {});
      };
    },
    output: () => started.output(),
    lastError: async () => {
      const status = (await client.call('status', {})) as { lastError?: string | null };
      return status.lastError ?? null;
    },
    stop: async () => {
      await client.close();
      await started.stop();
    },
  };
}

interface NftSet {
  set?: { family: string; table: string; name: string; type: string | string[]; flags?: string[] };
}

/**
 * Fills the IPv4 triggered table (`trig4`, the dynamic set with timeouts every Include ==
 * triggered test looks in; else every per-rule IPv4 trigger set) of `table inet treewall` with
 * `count` addresses in 172.16.0.0/12 (never the benchmark's client). Returns the sets filled.
 */
export async function prefillTriggered(
  inNs: (argv: string[]) => string[],
  files: ReturnType<typeof privateDir>,
  count: number,
): Promise<string[]> {
  const listed = await runOk(inNs(['nft', '-j', 'list', 'sets', 'inet']));
  const sets = ((JSON.parse(listed.stdout) as { nftables: NftSet[] }).nftables ?? [])
    .map((e) => e.set)
    .filter((s): s is NonNullable<NftSet['set']> => !!s && s.table === 'treewall')
    .filter((s) => s.type === 'ipv4_addr' && (s.flags ?? []).includes('timeout'));
  // The document-wide triggered table when there is one (`trig4`), else every per-rule one.
  const shared = sets.filter((s) => s.name === 'trig4');
  const targets = shared.length ? shared : sets;
  for (const s of targets) {
    const elements: string[] = [];
    for (let i = 0; i < count; i++) {
      elements.push(`172.${16 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255} timeout 1h`);
    }
    const text = `add element inet treewall ${s.name} { ${elements.join(', ')} }\n`;
    await runOk(inNs(['nft', '-f', files.file(`prefill-${s.name}.nft`, text)]));
  }
  return targets.map((s) => s.name);
}

/** One renderer build per benchmark run (keyed by the build arguments), removed at exit. */
const builds = new Map<string, Promise<string | { skip: string }>>();

function buildRenderer(
  log: (line: string) => void,
  buildArgs: string[],
): Promise<string | { skip: string }> {
  const key = buildArgs.join(' ');
  let build = builds.get(key);
  if (!build) {
    build = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tw-bench-renderer-'));
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
      log('building the renderer (vite build) ...');
      const built = await run(
        [
          process.execPath,
          here('../node_modules/vite/bin/vite.js'),
          'build',
          '--outDir',
          dir,
          '--emptyOutDir',
          '--logLevel',
          'warn',
          ...buildArgs,
        ],
        { timeoutMs: 300_000 },
      );
      if (built.code !== 0) {
        return {
          skip: `the renderer does not build: ${built.stderr.trim().split('\n').slice(-3).join(' ')}`,
        };
      }
      return dir;
    })();
    builds.set(key, build);
  }
  return build;
}

export interface ServeHandle {
  /** The page URL for a document in the served folder. */
  urlFor: (documentName: string) => string;
  /** The serve process (its CPU time: ./proc.ts). */
  pid: number;
  stop: () => Promise<void>;
}

/**
 * Builds the current renderer into a private folder (so the benchmark measures the code as it is
 * now, not a stale dist/renderer) and starts `treewall serve` on a free loopback port for
 * `folder`, or says why it cannot.
 */
export async function startServe(
  folder: string,
  log: (line: string) => void,
  helperSocket?: string,
  /** Extra `vite build` arguments (`--minify false` to read a profile). */
  buildArgs: string[] = [],
): Promise<ServeHandle | { skip: string }> {
  if (!existsSync(here('../electron/cli/commands/serve.ts'))) {
    return { skip: 'the browser host (treewall serve) is not built yet' };
  }
  if (!existsSync(here('../renderer/index.html'))) return { skip: 'the renderer is not built yet' };
  const build = await buildRenderer(log, buildArgs);
  if (typeof build !== 'string') return build;
  const serve = await startTreewallServe({
    folder,
    extraArgs: ['--renderer-dir', build],
    ...(helperSocket ? { helperSocket } : {}),
  });
  return { urlFor: serve.urlFor, pid: serve.pid, stop: serve.stop };
}

/**
 * Loads a compiled ruleset as the helper would (`nft -j -f`). If nft refuses the JSON, loads the
 * compiler's text rendering of the same program instead and says why, so the data plane is still
 * measured; the refusal is a compiler bug to report, not something to hide.
 */
export async function loadRuleset(
  inNs: (argv: string[]) => string[],
  files: ReturnType<typeof privateDir>,
  name: string,
  ruleset: { json: string; text: () => string },
): Promise<{ via: 'json' } | { via: 'text'; jsonError: string }> {
  const json = await run(inNs(['nft', '-j', '-f', files.file(`${name}.json`, ruleset.json)]), {
    timeoutMs: 300_000,
  });
  if (json.code === 0) return { via: 'json' };
  await runOk(inNs(['nft', '-f', files.file(`${name}.nft`, ruleset.text())]), {
    timeoutMs: 300_000,
  });
  return { via: 'text', jsonError: json.stderr.trim().split('\n')[0] ?? '' };
}
