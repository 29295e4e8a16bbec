// Runtime: Node (benchmarks). The seam between the benchmarks and treewall's own code: compiling
// a generated document, and filling its triggered table. Parts that need something not yet
// built get a reason to print (`skipped: ...`) instead of failing.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FirewallDocument } from '../shared/model/types.ts';
import { generateDocument } from './generate.ts';
import { runOk, type privateDir } from './sh.ts';

export interface CompiledRuleset {
  /** libnftables JSON, as `nft -j -f FILE` takes it. */
  json: string;
  /** Compile time in milliseconds (the pure compile() call, document already built). */
  compileMs: number;
  rules: number;
}

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

type CompileFn = (doc: FirewallDocument) => unknown;

async function importCompile(): Promise<CompileFn | string> {
  const path = here('../shared/compiler/index.ts');
  if (!existsSync(path)) return 'the compiler (shared/compiler/index.ts) is not built yet';
  let mod: { compile?: CompileFn };
  try {
    mod = (await import(path)) as { compile?: CompileFn };
  } catch (error) {
    return `the compiler does not load: ${(error as Error).message.split('\n')[0]}`;
  }
  if (typeof mod.compile !== 'function') return 'shared/compiler/index.ts exports no compile()';
  return mod.compile;
}

/** Pulls the libnftables JSON out of whatever compile() returns. */
function nftJson(output: unknown): unknown {
  if (output && typeof output === 'object') {
    const o = output as Record<string, unknown>;
    if (Array.isArray(o.nftables)) return o;
    for (const key of ['json', 'ruleset', 'nft', 'program']) {
      const v = o[key];
      if (v && typeof v === 'object' && Array.isArray((v as Record<string, unknown>).nftables))
        return v;
      if (typeof v === 'string' && v.includes('"nftables"')) return JSON.parse(v);
    }
  }
  throw new Error('compile() returned no libnftables JSON ({ nftables: [...] })');
}

export interface Compiler {
  /** compile(doc) serialised as the libnftables JSON text nft -j -f reads. */
  compileJson: (doc: FirewallDocument) => string;
}

export async function loadCompiler(): Promise<Compiler | { skip: string }> {
  const compile = await importCompile();
  if (typeof compile === 'string') return { skip: compile };
  return { compileJson: (doc) => JSON.stringify(nftJson(compile(doc))) };
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
      const json = compiler.compileJson(doc);
      return { json, compileMs: performance.now() - started, rules };
    },
  };
}

export interface HelperHandle {
  pid: number;
  socket: string;
  apply: (doc: FirewallDocument) => Promise<void>;
  /** Subscribes to the counter stream; onTick gets the number of rules that changed. */
  streamCounters: (intervalMs: number, onTick: (changed: number) => void) => Promise<() => void>;
  stop: () => Promise<void>;
}

/** Starts `treewall helper` inside a namespace, or says why it cannot. */
export async function startHelper(
  _inNs: (argv: string[]) => string[],
  _files: ReturnType<typeof privateDir>,
): Promise<HelperHandle | { skip: string }> {
  if (!existsSync(here('../electron/helper/client.ts'))) {
    return { skip: 'the helper (electron/helper/client.ts) is not built yet' };
  }
  return { skip: 'the helper is not wired into the benchmarks yet' };
}

interface NftSet {
  set?: { family: string; table: string; name: string; type: string | string[]; flags?: string[] };
}

/**
 * Fills every IPv4 triggered set (dynamic, with timeouts) of `table inet treewall` with `count`
 * addresses in 172.16.0.0/12 (never the benchmark's client). Returns the sets filled.
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
  for (const s of sets) {
    const elements: string[] = [];
    for (let i = 0; i < count; i++) {
      elements.push(`172.${16 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255} timeout 1h`);
    }
    const text = `add element inet treewall ${s.name} { ${elements.join(', ')} }\n`;
    await runOk(inNs(['nft', '-f', files.file(`prefill-${s.name}.nft`, text)]));
  }
  return sets.map((s) => s.name);
}

export interface ServeHandle {
  /** The page URL for a document in the served folder. */
  urlFor: (documentName: string) => string;
  stop: () => Promise<void>;
}

/** Starts `treewall serve` on a free loopback port for `folder`, or says why it cannot. */
export async function startServe(
  folder: string,
  log: (line: string) => void,
  helperSocket?: string,
): Promise<ServeHandle | { skip: string }> {
  if (!existsSync(here('../electron/cli/commands/serve.ts'))) {
    return { skip: 'the browser host (treewall serve) is not built yet' };
  }
  void folder;
  void log;
  void helperSocket;
  return { skip: 'the browser host is not wired into the benchmarks yet' };
}
