// Runtime: Node, root (benchmarks). Counter to screen: from one ping sent in the client namespace
// to the number changing in the outline's statistics column, through the whole path: kernel
// counter, helper (in the server namespace) reading and streaming it, browser host, WebSocket,
// renderer. The packet's send time is ping's own (`ping -D`: the reply's arrival minus the round
// trip) and the change is seen in the page with Date.now(), the same wall clock on the same
// machine; pings go at random moments so the phase of the helper's readings (counts every
// APP_COUNTS_MS, ticks at 1 Hz) is sampled, and the median and the worst case are reported. Two documents: the generated
// 10,000-rule tree (the helper reads every counter each tick) and its ICMP logger alone (the
// path's own latency, with a read that costs next to nothing).

import { existsSync } from 'node:fs';
import { APP_COUNTS_MS } from '../electron/common/helper-link.ts';
import type { Page } from 'playwright-core';
import type { FirewallDocument } from '../shared/model/types.ts';
import { documentToXml } from '../shared/plist/document.ts';
import { SERVER_ADDRESS, createBenchNet, type BenchNet } from './bench-net.ts';
import { missingPrerequisite } from './dataplane.ts';
import { KEEP_NAMES_SHIM } from './editor.ts';
import { generateDocument } from './generate.ts';
import {
  median,
  targets,
  type Figure,
  type Part,
  type PartResult,
  type RunOptions,
} from './report.ts';
import { privateDir, run, runOk, sleep } from './sh.ts';
import { startHelper, startServe, type HelperHandle, type ServeHandle } from './treewall.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

interface Case {
  label: string;
  file: string;
  doc: FirewallDocument;
  /** The ICMP logger: a top-level rule counting every ping, visible without expanding. */
  watchId: string;
}

function cases(): Case[] {
  const full = generateDocument(10_000);
  const icmp = full.rules.find((r) => r.property === 'Protocol' && r.value.startsWith('1 '));
  if (!icmp) throw new Error('the generated document has no ICMP logger');
  return [
    {
      label: 'ICMP logger alone',
      file: 'bench-icmp.treewall',
      doc: { ...full, rules: [icmp] },
      watchId: icmp.id,
    },
    { label: '10,000 rules', file: 'bench-10k.treewall', doc: full, watchId: icmp.id },
  ];
}

/**
 * In the page, before the app: every WebSocket message that is a `counters:tick` is noted with
 * its arrival (Date.now()) and the helper's `at` (when its reading ended), for the split of the
 * path: packet -> helper's reading done (the wait for the next reading + the reading), -> page
 * (helper -> serve -> WebSocket), -> painted (renderer).
 */
const TICK_TAP = `(() => {
  const Native = window.WebSocket;
  const ticks = (window.__benchTicks = []);
  class Tapped extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string' || !e.data.includes('"counters:tick"')) return;
        const at = /"at":"([^"]+)"/.exec(e.data);
        ticks.push({ recv: Date.now(), at: at ? Date.parse(at[1]) : NaN, text: e.data.length < 4096 ? e.data : '' });
      });
    }
  }
  window.WebSocket = Tapped;
})();`;

/** The first tick message naming `id` that arrived after `after` (epoch ms), if any. */
const tickFor = ({ id, after }: { id: string; after: number }) => {
  const ticks = (
    window as unknown as { __benchTicks: { recv: number; at: number; text: string }[] }
  ).__benchTicks;
  return ticks.find((t) => t.recv >= after && t.text.includes(`"${id}"`)) ?? null;
};

/** Resolves with Date.now() at the first frame painted after the cell's text changed. */
const waitForChange = ({ sel, before }: { sel: string; before: string }) =>
  new Promise<number>((resolve, reject) => {
    const giveUp = setTimeout(() => reject(new Error('the number did not change in 10 s')), 10_000);
    const poll = () => {
      if ((document.querySelector(sel)?.textContent ?? '') !== before) {
        requestAnimationFrame(() =>
          setTimeout(() => {
            clearTimeout(giveUp);
            resolve(Date.now());
          }, 0),
        );
      } else requestAnimationFrame(poll);
    };
    poll();
  });

async function measure(
  c: Case,
  page: Page,
  net: BenchNet,
  helper: HelperHandle,
  serve: ServeHandle,
  options: RunOptions,
): Promise<{ latencies: number[]; splits: [number, number, number][] } | { failed: string }> {
  await helper.apply(c.doc);
  await page.goto(serve.urlFor(c.file));
  const sel = `[data-rule-id="${c.watchId}"] [data-testid="cell-stats"]`;
  await page.locator(sel).waitFor({ timeout: 60_000 });
  // Warm up: the first counters reach the page (the stats column is wired and the stream runs).
  await runOk(net.inClient(['ping', '-c', '1', '-W', '1', SERVER_ADDRESS]));
  try {
    await page.waitForFunction(
      (s) => /\d/.test(document.querySelector(s)?.textContent ?? ''),
      sel,
      {
        timeout: 10_000,
      },
    );
  } catch {
    const why = await helper.lastError();
    return {
      failed: `no counter reached the statistics column 10 s after a packet (helper's last error: ${why?.slice(0, 200) ?? 'none'})`,
    };
  }
  const latencies: number[] = [];
  /** Per ping: packet -> helper's reading done, -> page, -> painted (ms). */
  const splits: [number, number, number][] = [];
  // The first round is a warm-up (page, host and helper settling after the apply): not counted.
  for (let i = -1; i < samples(options); i++) {
    await sleep(300 + Math.random() * 1000);
    const before = (await page.locator(sel).textContent()) ?? '';
    const seen = page.evaluate(waitForChange, { sel, before });
    const spawned = Date.now();
    const ping = await runOk(net.inClient(['ping', '-D', '-c', '1', '-W', '1', SERVER_ADDRESS]));
    // When the echo request left: ping's own clock (-D: the reply's arrival, wall clock, minus the
    // round trip), not the moment Node asked for `ip netns exec ping` (starting those two
    // programs took 10-40 ms, counted as latency before).
    const sent = pingSentAt(ping.stdout) ?? spawned;
    const shown = await seen;
    const latency = shown - sent;
    if (i >= 0) latencies.push(latency);
    const tick = await page.evaluate(tickFor, { id: c.watchId, after: sent });
    if (i >= 0 && tick && Number.isFinite(tick.at))
      splits.push([tick.at - sent, tick.recv - tick.at, shown - tick.recv]);
  }
  options.log(`counter-latency, ${c.label}: ${latencies.map((t) => t.toFixed(0)).join(', ')} ms`);
  return { latencies, splits };
}

/** Pings per document (after the warm-up): 16, so that the median is not one ping's phase. */
const samples = (options: RunOptions): number => (options.quick ? 3 : 16);

/** Epoch ms at which `ping -D -c 1` sent its echo request, from its reply line. */
export function pingSentAt(stdout: string): number | undefined {
  const m = /^\[(\d+\.\d+)\] .* time=([\d.]+) ms/m.exec(stdout);
  if (!m) return undefined;
  return Number(m[1]) * 1000 - Number(m[2]);
}

export const counterLatency: Part = {
  name: 'counter-latency',
  summary: 'one ping to the number changing in the outline (helper + host + renderer)',
  async run(options: RunOptions): Promise<PartResult> {
    const missing = missingPrerequisite();
    if (missing) return { status: 'skipped', why: missing };
    if (!existsSync(CHROMIUM)) return { status: 'skipped', why: `${CHROMIUM} is not installed` };
    const playwright = await import('playwright-core');

    const net = await createBenchNet();
    const files = privateDir();
    let helper: HelperHandle | { skip: string } = { skip: 'not started' };
    let serve: ServeHandle | { skip: string } = { skip: 'not started' };
    let browser: import('playwright-core').Browser | undefined;
    try {
      const all = cases();
      for (const c of all) files.file(c.file, documentToXml(c.doc));
      helper = await startHelper(net.server);
      if ('skip' in helper) return { status: 'skipped', why: helper.skip };
      serve = await startServe(files.dir, options.log, helper.socket);
      if ('skip' in serve) return { status: 'skipped', why: serve.skip };
      browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.addInitScript(KEEP_NAMES_SHIM);
      await page.addInitScript(TICK_TAP);

      const figures: Figure[] = [];
      const notes: string[] = [];
      for (const c of all) {
        const result = await measure(c, page, net, helper, serve, options);
        if ('failed' in result) {
          notes.push(`counter-latency, ${c.label}: NOT MEASURED: ${result.failed}.`);
          continue;
        }
        notes.push(
          `counter-latency, ${c.label}: every ping (ms): ${result.latencies.map((t) => t.toFixed(0)).join(', ')}.`,
        );
        if (result.splits.length > 0) {
          const part = (k: 0 | 1 | 2) => result.splits.map((s) => s[k]);
          const show = (xs: number[]) =>
            `median ${median(xs).toFixed(0)}, worst ${Math.max(...xs).toFixed(0)}`;
          notes.push(
            `counter-latency, ${c.label}: the path split over ${result.splits.length} pings (ms; the tick message that first named the rule): packet to the helper's reading done (the wait for the next reading, then the reading) ${show(part(0))}; helper -> serve -> page ${show(part(1))}; page to painted (renderer) ${show(part(2))}.`,
          );
        }
        for (const [what, value] of [
          ['median', median(result.latencies)],
          ['worst', Math.max(...result.latencies)],
        ] as const) {
          figures.push({
            part: 'counter-latency',
            name: `packet to number in the outline, ${c.label} (${what})`,
            value,
            unit: 'ms',
            target:
              c.label.includes('10,000') && what === 'median'
                ? targets.below(600, '< 0.6 s')
                : c.label.includes('10,000')
                  ? targets.below(1100, '< 1.1 s')
                  : targets.below(1500, '< 1.5 s'),
          });
        }
      }
      notes.push(
        `counter-latency: ${samples(options)} single pings per document at random moments from the client namespace; the ICMP logger's statistics cell watched in the page; the browser host subscribed as the app is (ticks at 1 Hz, counts every ${APP_COUNTS_MS} ms between them).`,
      );
      return { status: 'ran', figures, notes };
    } finally {
      await browser?.close();
      if (!('skip' in serve)) await serve.stop();
      if (!('skip' in helper)) await helper.stop();
      await run(net.inServer(['nft', 'flush', 'ruleset']));
      await net.remove();
      files.remove();
    }
  },
};
