// Runtime: Node, root (benchmarks). Counter to screen: from one ping sent in the client namespace
// to the number changing in the outline's statistics column, through the whole path: kernel
// counter, helper (in the server namespace) reading and streaming it, browser host, WebSocket,
// renderer. The packet's send time is taken in Node and the change is seen in the page, both
// with Date.now() on the same machine; pings go at random moments so the 1 Hz tick phase is
// sampled, and the median and the worst case are reported.

import { existsSync } from 'node:fs';
import { SERVER_ADDRESS, createBenchNet } from './bench-net.ts';
import { missingPrerequisite } from './dataplane.ts';
import { documentToXml } from '../shared/plist/document.ts';
import { generateDocument } from './generate.ts';
import { median, targets, type Part, type PartResult, type RunOptions } from './report.ts';
import { privateDir, run, runOk, sleep } from './sh.ts';
import { KEEP_NAMES_SHIM } from './editor.ts';
import { startHelper, startServe } from './treewall.ts';

const CHROMIUM = '/usr/bin/chromium';
const DOCUMENT_NAME = 'bench-counters.treewall';

export const counterLatency: Part = {
  name: 'counter-latency',
  summary: 'one ping to the number changing in the outline (helper + host + renderer)',
  async run(options: RunOptions): Promise<PartResult> {
    const missing = missingPrerequisite();
    if (missing) return { status: 'skipped', why: missing };
    if (!existsSync(CHROMIUM)) return { status: 'skipped', why: `${CHROMIUM} is not installed` };
    const playwright = await import('playwright-core');

    const doc = generateDocument(1_000);
    // The ICMP logger (a top-level rule) counts every ping; it is visible without expanding.
    const icmp = doc.rules.find((r) => r.property === 'Protocol' && r.value.startsWith('1 '));
    if (!icmp) throw new Error('the generated document has no ICMP logger');

    const net = await createBenchNet();
    const files = privateDir();
    files.file(DOCUMENT_NAME, documentToXml(doc));
    const helper = await startHelper(net.inServer, files);
    if ('skip' in helper) {
      await net.remove();
      files.remove();
      return { status: 'skipped', why: helper.skip };
    }
    const serve = await startServe(files.dir, options.log, helper.socket);
    if ('skip' in serve) {
      await helper.stop();
      await net.remove();
      files.remove();
      return { status: 'skipped', why: serve.skip };
    }
    const browser = await playwright.chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      await helper.apply(doc);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.addInitScript(KEEP_NAMES_SHIM);
      await page.goto(serve.urlFor(DOCUMENT_NAME));
      const cell = page.locator(`[data-rule-id="${icmp.id}"] [data-testid="cell-stats"]`);
      await cell.waitFor({ timeout: 30_000 });
      // Warm up: the first counters reach the page (the stats column is wired).
      await runOk(net.inClient(['ping', '-c', '1', '-W', '1', SERVER_ADDRESS]));
      try {
        await page.waitForFunction(
          (sel) => /\d/.test(document.querySelector(sel)?.textContent ?? ''),
          `[data-rule-id="${icmp.id}"] [data-testid="cell-stats"]`,
          { timeout: 10_000 },
        );
      } catch {
        return {
          status: 'skipped',
          why: 'the statistics column shows no counters 10 s after a packet (not wired yet?)',
        };
      }
      const latencies: number[] = [];
      for (let i = 0; i < (options.quick ? 3 : 8); i++) {
        await sleep(300 + Math.random() * 1000);
        const before = (await cell.textContent()) ?? '';
        const seen = page.evaluate(
          ({ sel, before }) =>
            new Promise<number>((resolve, reject) => {
              const giveUp = setTimeout(
                () => reject(new Error('the number did not change in 10 s')),
                10_000,
              );
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
            }),
          { sel: `[data-rule-id="${icmp.id}"] [data-testid="cell-stats"]`, before },
        );
        const sent = Date.now();
        await runOk(net.inClient(['ping', '-c', '1', '-W', '1', SERVER_ADDRESS]));
        latencies.push((await seen) - sent);
      }
      options.log(`counter-latency: ${latencies.map((t) => t.toFixed(0)).join(', ')} ms`);
      return {
        status: 'ran',
        figures: [
          {
            part: 'counter-latency',
            name: 'packet to number in the outline (median)',
            value: median(latencies),
            unit: 'ms',
            target: targets.below(1500, '< 1.5 s'),
          },
          {
            part: 'counter-latency',
            name: 'packet to number in the outline (worst)',
            value: Math.max(...latencies),
            unit: 'ms',
            target: targets.below(1500, '< 1.5 s'),
          },
        ],
        notes: [
          `counter-latency: ${latencies.length} single pings at random moments from the client namespace; the ICMP logger's statistics cell (match count) watched in the page.`,
        ],
      };
    } finally {
      await browser.close();
      await serve.stop();
      await helper.stop();
      await run(net.inServer(['nft', 'flush', 'ruleset']));
      await net.remove();
      files.remove();
    }
  },
};
