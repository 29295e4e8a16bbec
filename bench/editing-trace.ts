// Runtime: Node (benchmarks; a developer's tool, not part of `npm run bench`). The editor part's
// editing session (bench/editor.ts: toggles, value edits, keyboard, wheel, drags, autosaves) on
// the 100,000-rule document, traced with Chromium's timeline categories and V8's sampling
// profiler, and its long main-thread tasks listed by what they run: the events inside each (input
// dispatch, timers, frames, layout, style, paint, GC) and the JS functions its samples fell in.
//
//   npx tsx bench/editing-trace.ts [--seconds 30] [--threshold 30] [--minify] [--out trace.json]
//   npx tsx bench/editing-trace.ts --from trace.json [--threshold 30] [--window FROM,TO]
//   (a saved trace again; --window lists every task of 2 ms CPU or more between two times, s)
//   --wheel-only repeats only the session's wheel part (down 5 x 200 px and back up).
//
// The renderer is built unminified unless --minify (function names readable). Tracing and
// sampling cost the page time, so compare its figures with each other, not with the bench's.

import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { documentToXml } from '../shared/plist/document.ts';
import { editingSession, KEEP_NAMES_SHIM } from './editor.ts';
import { generateDocument } from './generate.ts';
import { privateDir, sleep } from './sh.ts';
import { mainThreadTaskEvents, recordTrace, type TraceEvent } from './trace.ts';
import { startServe } from './treewall.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const CATEGORIES = [
  'toplevel',
  '__metadata',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.gc',
  'blink.user_timing',
];

/** What an event is, with the detail that tells it apart (event type, function, timer). */
function label(e: TraceEvent): string {
  const d = e.args?.data ?? {};
  switch (e.name) {
    case 'EventDispatch':
      return `EventDispatch ${String(d.type)}`;
    case 'FunctionCall':
      return `FunctionCall ${String(d.functionName || '(anon)')} ${String(d.url ?? '')
        .split('/')
        .pop()}:${String(d.lineNumber ?? '')}`;
    case 'TimerFire':
      return 'TimerFire';
    default:
      return e.name;
  }
}

function analyse(events: TraceEvent[], profile: Profile, threshold: number): void {
  let at0 = Infinity;
  for (const e of events) if (e.ts > 0 && e.ts < at0) at0 = e.ts;
  const tasks = mainThreadTaskEvents(events);
  // Every event of that thread (what runs inside each task).
  const main = tasks[0];
  const threadEvents = main
    ? events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X')
    : [];
  // Profile samples on the trace's clock (both are base::TimeTicks in µs).
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sampleTimes: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) sampleTimes.push((t += d));
  const frameName = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop() ?? ''}:${n.callFrame.lineNumber + 1}`;

  const cpuOf = (e: TraceEvent) => (e.tdur ?? e.dur ?? 0) / 1000;
  const wallOf = (e: TraceEvent) => (e.dur ?? 0) / 1000;
  const byCpu = [...tasks].sort((a, b) => cpuOf(b) - cpuOf(a));
  const byWall = [...tasks].sort((a, b) => wallOf(b) - wallOf(a));
  const fmt = (e: TraceEvent) => `${wallOf(e).toFixed(0)} (CPU ${cpuOf(e).toFixed(0)})`;
  console.log(
    `${tasks.length} tasks; longest by wall: ${byWall.slice(0, 10).map(fmt).join(', ')} ms; by CPU: ${byCpu.slice(0, 10).map(fmt).join(', ')} ms`,
  );
  const long = tasks.filter((e) => cpuOf(e) >= threshold || wallOf(e) >= 3 * threshold);
  // One line per long task, longest CPU first: what runs in it (the biggest events below the
  // task itself, by CPU).
  const what = (task: TraceEvent): string => {
    const from = task.ts;
    const to = from + (task.dur ?? 0);
    const sums = new Map<string, number>();
    for (const e of threadEvents) {
      if (e === task || e.ts < from || e.ts + (e.dur ?? 0) > to) continue;
      if (
        !/^(EventDispatch|FunctionCall|Layout|UpdateLayoutTree|Paint|PrePaint|Layerize|MajorGC|MinorGC|TimerFire|FireAnimationFrame|RunMicrotasks|CpuProfiler)/.test(
          e.name,
        )
      )
        continue;
      const l = e.name === 'FunctionCall' ? `${String(e.args?.data?.functionName)}()` : label(e);
      sums.set(l, Math.max(sums.get(l) ?? 0, 0) + cpuOf(e));
    }
    return [...sums.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([l, ms]) => `${l} ${ms.toFixed(1)}`)
      .join('; ');
  };
  const window = arg('window', '');
  if (window) {
    const [a, b] = window.split(',').map(Number);
    console.log(`\ntasks of 2 ms CPU or more between +${a} and +${b} s:`);
    for (const e of tasks) {
      const at = (e.ts - at0) / 1e6;
      if (at >= a! && at <= b! && cpuOf(e) >= 2)
        console.log(`  +${at.toFixed(3).padStart(7)} s ${fmt(e).padEnd(14)} ${what(e)}`);
    }
    return;
  }
  console.log(`\ntasks of ${threshold} ms CPU or more, by CPU:`);
  for (const e of [...long].sort((a, b) => cpuOf(b) - cpuOf(a))) {
    console.log(
      `  +${((e.ts - at0) / 1e6).toFixed(2).padStart(6)} s ${fmt(e).padEnd(14)} ${what(e)}`,
    );
  }
  for (const task of long) {
    const from = task.ts;
    const to = task.ts + (task.dur ?? 0);
    const inside = threadEvents.filter(
      (e) => e !== task && e.ts >= from && e.ts + (e.dur ?? 0) <= to,
    );
    // The events as a tree (containment), siblings of one label merged.
    interface Tree {
      label: string;
      wall: number;
      cpu: number;
      count: number;
      kids: Map<string, Tree>;
    }
    const root: Tree = { label: '', wall: 0, cpu: 0, count: 0, kids: new Map() };
    const stack: Array<{ e: TraceEvent; t: Tree }> = [];
    for (const e of inside) {
      while (stack.length && stack.at(-1)!.e.ts + (stack.at(-1)!.e.dur ?? 0) <= e.ts) stack.pop();
      const up = stack.at(-1)?.t ?? root;
      const l = label(e);
      let t = up.kids.get(l);
      if (!t) up.kids.set(l, (t = { label: l, wall: 0, cpu: 0, count: 0, kids: new Map() }));
      t.wall += wallOf(e);
      t.cpu += cpuOf(e);
      t.count++;
      stack.push({ e, t });
    }
    const gcMs = inside
      .filter((e) => e.name === 'MajorGC' || e.name === 'MinorGC')
      .map((e) => `${e.name} ${wallOf(e).toFixed(1)} (CPU ${cpuOf(e).toFixed(1)})`);
    console.log(
      `\n== task at +${((from - at0) / 1e6).toFixed(2)} s: ${wallOf(task).toFixed(1)} ms (CPU ${cpuOf(task).toFixed(1)}); GC: ${gcMs.join(', ') || 'none'}`,
    );
    const print = (t: Tree, d: number) => {
      for (const k of [...t.kids.values()].sort((a, b) => b.cpu - a.cpu)) {
        if (k.cpu < 0.8 && k.wall < 3) continue;
        console.log(
          `  ${k.wall.toFixed(1).padStart(6)} ${k.cpu.toFixed(1).padStart(6)}  ${'  '.repeat(d)}${k.label}${k.count > 1 ? ` x${k.count}` : ''}`,
        );
        if (d < 7) print(k, d + 1);
      }
    };
    print(root, 0);
    // JS samples in the task: self and inclusive per function.
    const self = new Map<string, number>();
    const incl = new Map<string, number>();
    let n = 0;
    for (let i = 0; i < sampleTimes.length; i++) {
      const st = sampleTimes[i]!;
      if (st < from || st > to) continue;
      n++;
      let node = nodes.get(profile.samples[i]!);
      if (!node) continue;
      const s = frameName(node);
      self.set(s, (self.get(s) ?? 0) + 1);
      const seen = new Set<string>();
      while (node) {
        const f = frameName(node);
        if (!seen.has(f)) {
          seen.add(f);
          incl.set(f, (incl.get(f) ?? 0) + 1);
        }
        const p = parent.get(node.id);
        node = p === undefined ? undefined : nodes.get(p);
      }
    }
    const top = (m: Map<string, number>, k: number) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, k)
        .map(([f, c]) => `${((c / n) * 100).toFixed(0)}% ${f}`)
        .join(' | ');
    if (n > 0) {
      console.log(`  samples ${n}; self: ${top(self, 8)}`);
      console.log(
        `  inclusive: ${top(
          new Map([...incl.entries()].filter(([f]) => !f.startsWith('(root)'))),
          14,
        )}`,
      );
    }
  }
}

/** Only the session's wheel part (down 5 x 200 px, back up), repeated: the rows' reordering. */
async function wheelOnly(page: import('playwright-core').Page, ms: number): Promise<number> {
  const start = Date.now();
  let n = 0;
  while (Date.now() - start < ms) {
    const box = await page.getByTestId('rule-row').nth(10).boundingBox();
    if (!box) break;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let k = 0; k < 5; k++) await page.mouse.wheel(0, 200);
    await sleep(500);
    for (let k = 0; k < 5; k++) await page.mouse.wheel(0, -200);
    await sleep(500);
    n++;
  }
  return n;
}

async function main(): Promise<void> {
  const from = arg('from', '');
  if (from) {
    const saved = JSON.parse(readFileSync(from, 'utf8')) as {
      traceEvents: TraceEvent[];
      profile: Profile;
    };
    analyse(saved.traceEvents, saved.profile, Number(arg('threshold', '30')));
    return;
  }
  const seconds = Number(arg('seconds', '30'));
  const threshold = Number(arg('threshold', '30'));
  const out = arg('out', '');
  const minify = process.argv.includes('--minify');
  const { chromium } = await import('playwright-core');
  const files = privateDir();
  const log = (line: string) => console.error(line);
  const doc = generateDocument(100_000, { expanded: true });
  files.file('bench-100k.treewall', documentToXml(doc));
  const serve = await startServe(files.dir, log, undefined, minify ? [] : ['--minify', 'false']);
  if ('skip' in serve) throw new Error(serve.skip);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.addInitScript(KEEP_NAMES_SHIM);
    await page.goto(serve.urlFor('bench-100k.treewall'));
    await page.getByTestId('rule-row').first().waitFor({ timeout: 60_000 });
    await page
      .getByTestId('problem-count')
      .filter({ hasNotText: 'Checking' })
      .waitFor({ timeout: 60_000 });
    await sleep(2000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
    const stop = await recordTrace(cdp, CATEGORIES);
    await cdp.send('Profiler.start');
    const load0 = loadavg()[0]!;
    const edits = process.argv.includes('--wheel-only')
      ? await wheelOnly(page, seconds * 1000)
      : await editingSession(page, seconds * 1000);
    await sleep(5000);
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: Profile };
    const events = await stop();
    console.log(
      `editing ${seconds} s: ${edits} edits; load ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`,
    );
    if (out) writeFileSync(out, JSON.stringify({ traceEvents: events, profile }));
    analyse(events, profile, threshold);
  } finally {
    await browser.close();
    await serve.stop();
    files.remove();
  }
}

await main();
