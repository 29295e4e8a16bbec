// Runtime: Node (benchmarks), `npm run bench [-- PART... ] [--quick] [--write-docs]`.
// Runs the parts in order, prints one table of figures with the ratio to each reference and the
// verdict against DESIGN §9's targets. A part whose prerequisites are missing prints
// `skipped: <why>`; a part that fails prints its error and the others still run.
// --write-docs replaces the generated section of docs/benchmarks.md with this run.

import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { apply } from './apply.ts';
import { counterLatency } from './counter-latency.ts';
import { counters } from './counters.ts';
import { dataplane } from './dataplane.ts';
import { editor } from './editor.ts';
import { markdownTable, textTable, type Part, type PartResult } from './report.ts';

const PARTS: Part[] = [dataplane, apply, counters, editor, counterLatency];

const usage = `usage: npm run bench [-- PART... ] [--quick] [--write-docs]

parts (default: all, in this order):
${PARTS.map((p) => `  ${p.name.padEnd(16)} ${p.summary}`).join('\n')}

  --quick       fewer and shorter runs, to try the suite out (not for the published table)
  --write-docs  write this run's table and machine into docs/benchmarks.md`;

const sh = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
};

function machine(): Record<string, string> {
  const model =
    /Model name:\s*(.+)/.exec(sh('lscpu', []))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return {
    cpus: sh('nproc', []),
    'cpu model': model,
    kernel: sh('uname', ['-r']),
    nft: sh('nft', ['--version']),
    node: process.version,
    chromium: sh('/usr/bin/chromium', ['--version']),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const quick = argv.includes('--quick');
  const writeDocs = argv.includes('--write-docs');
  const badFlags = argv.filter(
    (a) => a.startsWith('-') && !['--quick', '--write-docs'].includes(a),
  );
  if (badFlags.length) {
    console.error(`unknown option(s): ${badFlags.join(', ')}\n\n${usage}`);
    return 2;
  }
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !PARTS.some((p) => p.name === n));
  if (unknown.length) {
    console.error(`unknown part(s): ${unknown.join(', ')}\n\n${usage}`);
    return 2;
  }
  const selected = names.length ? PARTS.filter((p) => names.includes(p.name)) : PARTS;

  const started = new Date();
  const loadBefore = loadavg();
  const results: Array<{ part: string; result: PartResult; seconds: number }> = [];
  for (const part of selected) {
    console.log(`== ${part.name}: ${part.summary}`);
    const t0 = performance.now();
    let result: PartResult;
    try {
      result = await part.run({ quick, log: (line) => console.log(`   ${line}`) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`   ${part.name} failed: ${message}`);
      result = { status: 'skipped', why: `failed: ${message.split('\n')[0]?.slice(0, 200)}` };
    }
    const seconds = (performance.now() - t0) / 1000;
    if (result.status === 'skipped') console.log(`   skipped: ${result.why}`);
    results.push({ part: part.name, result, seconds });
  }
  const loadAfter = loadavg();
  const totalSeconds = results.reduce((s, r) => s + r.seconds, 0);

  const notes = results.flatMap((r) => (r.result.status === 'ran' ? r.result.notes : []));
  const m = machine();
  const load = `load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after`;
  console.log('');
  console.log(textTable(results));
  console.log('');
  for (const n of notes) console.log(`- ${n}`);
  console.log(
    `\n${started.toISOString()}; ${Object.entries(m)
      .map(([k, v]) => `${k}: ${v}`)
      .join(
        '; ',
      )}; ${load}; ${results.map((r) => `${r.part} ${r.seconds.toFixed(0)} s`).join(', ')}, total ${totalSeconds.toFixed(0)} s${quick ? '; QUICK run' : ''}`,
  );

  if (writeDocs) {
    const path = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
    const section = [
      '<!-- bench:begin (written by `npm run bench -- --write-docs`; edit the text around it, not inside) -->',
      `Run: ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC, ${totalSeconds.toFixed(0)} s in all${quick ? ' (QUICK run: fewer, shorter rounds)' : ''}. Parts: ${results.map((r) => `${r.part} ${r.seconds.toFixed(0)} s`).join(', ')}.`,
      '',
      markdownTable(results),
      '',
      ...notes.map((n) => `- ${n}`),
      '',
      'Machine:',
      '',
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      `- ${load} (1, 5, 15 min; above ~0.5 means other work shared the cores)`,
      '<!-- bench:end -->',
    ].join('\n');
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      text = '# Benchmarks\n\n<!-- bench:begin --><!-- bench:end -->\n';
    }
    const re = /<!-- bench:begin[\s\S]*?<!-- bench:end -->/;
    text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
    writeFileSync(path, text);
    console.log(`\nwrote ${path}`);
  }
  return 0;
}

process.exit(await main(process.argv.slice(2)));
