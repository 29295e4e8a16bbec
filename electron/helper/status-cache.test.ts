// Kernel test (root): a status call lists our table (a full ruleset dump, ~4 s of CPU at 100,000
// rules) only when a transaction ran since the last listing (the ruleset's generation moved, read
// over netlink), and still sees a change to our table made behind the helper's back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { HelperService } from './service.ts';

const doc: FirewallDocument = {
  rules: [createRule({ id: 'r1', property: 'Dest port', value: '7001', action: 'Pass' })],
  settings: { ...DEFAULT_SETTINGS },
};

describe.skipIf(!kernelTestsAvailable)(
  `status without a listing while nothing changed${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('helperst');
    let b: Namespace;
    let dir: string;
    let service: HelperService;
    /** `nft list table` calls the service made (full listings). */
    let listings = 0;
    /** While set, full listings wait for it. */
    let gate: Promise<void> | undefined;

    beforeAll(async () => {
      await sweepStale('helperst');
      b = await net.namespace('b');
      dir = mkdtempSync(join(tmpdir(), 'tw-helperst-'));
      service = new HelperService({
        socketPath: join(dir, 'sock'),
        stateDir: join(dir, 'state'),
        logGroup: 1,
        tcpdump: '/nonexistent/tcpdump',
        python: ['ip', 'netns', 'exec', b.name, 'python3'],
        nft: {
          run: async (args) => {
            if (args.includes('list') && args.includes('table')) {
              listings++;
              await gate;
            }
            return b.exec(['nft', ...args], { allowFail: true });
          },
        },
      });
      await service.start();
    });
    afterAll(async () => {
      await service?.close();
      await net.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads the generation and whether the table exists over netlink', async () => {
      const nft = new Nft({ run: (args) => b.exec(['nft', ...args], { allowFail: true }) }, dir);
      const reader = new CounterReader(nft, ['ip', 'netns', 'exec', b.name, 'python3']);
      const first = await reader.generation();
      expect(first?.table).toBe(false);
      await b.exec(['nft', 'add', 'table', 'inet', 'treewall']);
      const second = await reader.generation();
      expect(second).toEqual({ generation: expect.any(Number), table: true });
      expect(second!.generation).not.toBe(first!.generation);
      expect(await reader.generation()).toEqual(second);
      await b.exec(['nft', 'delete', 'table', 'inet', 'treewall']);
      expect((await reader.generation())?.table).toBe(false);
      reader.stop();
    });

    it('answers from what it saw while no transaction ran, lists again when one did', async () => {
      await service.apply(doc);
      const first = await service.status();
      expect(first).toMatchObject({ active: true, matchesApplied: true });
      const before = listings;
      expect(await service.status()).toMatchObject({ active: true, matchesApplied: true });
      expect((await service.showActive(false)).matchesKernel).toBe(true);
      expect(listings).toBe(before);

      // Another table changes: a listing, and ours still matches.
      await b.exec(['nft', 'add', 'table', 'inet', 'someoneelse']);
      expect(await service.status()).toMatchObject({ active: true, matchesApplied: true });
      expect(listings).toBe(before + 1);
      expect(await service.status()).toMatchObject({ active: true, matchesApplied: true });
      expect(listings).toBe(before + 1);

      // Our table changed behind the helper's back: seen.
      await b.exec(['nft', 'add', 'chain', 'inet', 'treewall', 'added_by_hand']);
      expect(await service.status()).toMatchObject({ active: true, matchesApplied: false });
      expect((await service.showActive(false)).matchesKernel).toBe(false);

      // And removed: absent, without a listing (the table request says so).
      await b.exec(['nft', 'delete', 'table', 'inet', 'treewall']);
      const listed = listings;
      expect(await service.status()).toMatchObject({ active: false, matchesApplied: false });
      expect(listings).toBe(listed);
      await b.exec(['nft', 'delete', 'table', 'inet', 'someoneelse']);
    });

    it("answers right after an apply without waiting for the fingerprint's listing", async () => {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      // A status that waited for the listing would wait for ever: released after 30 s, it
      // then fails on `listed` rather than hanging.
      const safety = setTimeout(() => release(), 30_000);
      let listed = false;
      void gate.then(() => (listed = true));
      try {
        await service.apply(doc);
        const before = listings;
        const status = await service.status();
        expect(listed).toBe(false);
        expect(status).toMatchObject({ active: true, matchesApplied: true });
        // The listing was started (the fingerprint job), not one for this status.
        expect(listings).toBeLessThanOrEqual(before + 1);
      } finally {
        gate = undefined;
        release();
        clearTimeout(safety);
      }
      // Once the fingerprint is taken (showActive queues behind its job): a listing of the
      // same generation, so no other.
      expect((await service.showActive(false)).matchesKernel).toBe(true);
      const taken = await service.status();
      expect(taken.documentHash).toMatch(/^[0-9a-f]{64}$/);
      const after = listings;
      expect(await service.status()).toMatchObject({ active: true, matchesApplied: true });
      expect(listings).toBe(after);
    });
  },
);
