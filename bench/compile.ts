// Runtime: plain Node (a benchmark script, not a test: it prints figures and asserts nothing).
// How long the pure compile() takes on generated documents of 10,000 and 100,000 rules (the
// benchmark generator's realistic shape), and what it produces. compile() writes the program's
// JSON text itself (result.nft.json), so the figure is everything until nft can be started.
// Run: npx tsx bench/compile.ts [SIZE...]

import { compile } from '../shared/compiler/index.ts';
import { generateDocument } from './generate.ts';

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n >= 100);
let counter = 0;
const makeId = (): string => `r${(counter++).toString(36)}`;

for (const size of sizes.length ? sizes : [10_000, 100_000]) {
  const doc = generateDocument(size, { makeId });
  compile(doc); // warm up the JIT
  // Wall time, and CPU time of this process (steadier when the machine is shared).
  const times: number[] = [];
  const cpu: number[] = [];
  let result = compile(doc);
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    result = compile(doc);
    const used = process.cpuUsage(cpuStart);
    times.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  if (!result.ok) {
    console.log(`${size} rules: refused: ${result.problems[0]?.message}`);
    continue;
  }
  const textStarted = performance.now();
  const textLength = result.ok ? result.text.length : 0;
  const textMs = performance.now() - textStarted;
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const kinds: Record<string, number> = {};
  for (const c of result.nft.nftables) {
    const add = c.add as Record<string, unknown> | undefined;
    const kind = add ? Object.keys(add)[0] : Object.keys(c)[0];
    if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  const json = result.nft.json;
  console.log(
    `${size} rules: compile median ${times[2]?.toFixed(0)} ms (min ${times[0]?.toFixed(0)}, max ${times[4]?.toFixed(0)}), CPU median ${cpu[2]?.toFixed(0)} ms; ` +
      `text rendered on demand in ${textMs.toFixed(0)} ms (${(textLength / 1e6).toFixed(1)} MB); ` +
      `${(json.length / 1e6).toFixed(1)} MB JSON; ${kinds.chain ?? 0} chains, ${kinds.rule ?? 0} nft rules, ` +
      `${kinds.map ?? 0} verdict maps, ${kinds.counter ?? 0} named counters`,
  );
}
