// Kernel test (root): the addresses an apply keeps (triggered, authorized, kept), read over
// netlink by the counter reader, are what nft's own listing gives: the same sets, addresses
// (IPv4 and IPv6), timeouts and remaining time (give or take the second between the readings).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, dynamicSetElements } from '../../shared/compiler/index.ts';
import type { Json } from '../../shared/compiler/nft.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import {
  kernelSkipReason,
  kernelTestsAvailable,
  sweepStale,
  TestNet,
  type Namespace,
} from '../testing/netns.ts';
import { CounterReader } from './counter-reader.ts';
import { Nft } from './nft.ts';

const document: FirewallDocument = {
  settings: { ...DEFAULT_SETTINGS },
  rules: [
    createRule({
      id: 'timed',
      property: 'Dest port',
      value: '23',
      action: 'Trigger',
      parameter: '10 min',
    }),
    createRule({
      id: 'forever',
      property: 'Dest port',
      value: '24',
      action: 'Trigger',
      parameter: 'unlimited',
    }),
  ],
};

/** Elements by address, with `expires` left out (it moves between two readings). */
function byAddress(elements: Record<string, Json[]>): Record<string, Record<string, Json>> {
  const out: Record<string, Record<string, Json>> = {};
  for (const [set, list] of Object.entries(elements)) {
    for (const e of list) {
      if (typeof e === 'string') {
        out[`${set} ${e}`] = { plain: true };
        continue;
      }
      const { val, expires, ...rest } = (e as { elem: Record<string, Json> }).elem;
      out[`${set} ${String(val)}`] = { ...rest, expires: typeof expires === 'number' };
    }
  }
  return out;
}

const expiries = (elements: Record<string, Json[]>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [set, list] of Object.entries(elements)) {
    for (const e of list) {
      if (typeof e === 'string') continue;
      const { val, expires } = (e as { elem: { val: string; expires?: number } }).elem;
      if (expires !== undefined) out[`${set} ${val}`] = expires;
    }
  }
  return out;
};

describe.skipIf(!kernelTestsAvailable)(
  `netlink set reader${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('helpersr');
    let b: Namespace;
    let dir: string;
    let nft: Nft;

    beforeAll(async () => {
      await sweepStale('helpersr');
      b = await net.namespace('b');
      dir = mkdtempSync(join(tmpdir(), 'tw-helpersr-'));
      nft = new Nft({ run: (args) => b.exec(['nft', ...args], { allowFail: true }) }, dir);
    });
    afterAll(async () => {
      await net.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('gives the elements nft lists, for every kind of element', async () => {
      const compiled = compile(document);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
      await nft.applyJson(compiled.nft);
      const t = 'inet treewall';
      const lines = [
        // The set's own timeout (listed with its remaining time only), and a different one.
        `add element ${t} trig4 { 192.0.2.7, 198.51.100.9 timeout 2h }`,
        `add element ${t} trig6 { 2001:db8::7, 2001:db8:0:1::1:0 timeout 3h }`,
        `add element ${t} t4_timed { 192.0.2.7 }`,
        `add element ${t} t6_timed { 2001:db8::7 }`,
        // A set with no timeout of its own: plain addresses.
        `add element ${t} t4_forever { 203.0.113.1 }`,
        `add element ${t} t6_forever { ::ffff:203.0.113.2 }`,
        `add element ${t} keep4 { 10.1.2.3 timeout 90s }`,
        `add element ${t} auth6 { fd00::1 }`,
      ];
      await b.exec(['nft', lines.join('; ')]);
      const names = ['trig', 'auth', 'keep', 'inv'].flatMap((x) => [`${x}4`, `${x}6`]);
      for (const o of Object.values(compiled.objects)) if (o.sets) names.push(...o.sets);

      const reader = new CounterReader(nft, ['ip', 'netns', 'exec', b.name, 'python3']);
      try {
        const viaNft = dynamicSetElements(await nft.listSets());
        const viaNetlink = await reader.readSets(names);
        expect(viaNetlink).toBeDefined();
        expect(byAddress(viaNetlink!)).toEqual(byAddress(viaNft));
        expect(Object.keys(byAddress(viaNft)).length).toBe(10);
        const a = expiries(viaNft);
        const n = expiries(viaNetlink!);
        expect(Object.keys(n).sort()).toEqual(Object.keys(a).sort());
        for (const [k, v] of Object.entries(n)) {
          expect(v, k).toBeLessThanOrEqual(a[k]!);
          expect(v, k).toBeGreaterThanOrEqual(a[k]! - 5);
        }
        // What the next compile does with them is the same whichever way they were read.
        const again = (keep: Record<string, Json[]>) => {
          const c = compile(document, { keepElements: keep });
          if (!c.ok) throw new Error('compile');
          return c.nft.nftables.filter((x) => 'add' in x && 'set' in (x.add as object)).length;
        };
        expect(again(viaNetlink!)).toBe(again(viaNft));

        // No table: nothing to keep (as nft's "No such file or directory").
        await b.exec(['nft', 'delete table inet treewall']);
        expect(await reader.readSets(names)).toEqual({});
      } finally {
        reader.stop();
      }
    });
  },
);
