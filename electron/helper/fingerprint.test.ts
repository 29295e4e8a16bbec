// The fingerprint listing an apply queues behind itself gives way to the next apply (a fake nft,
// no root needed): an apply waiting behind it skips it or kills it, and when that apply changes
// nothing (refused), the table in force still gets its fingerprint.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import type { NftResult, NftRunner } from './nft.ts';
import type { HelperService } from './service.ts';
import { serviceOverFakeNft } from '../testing/fake-nft-service.ts';

const doc = (port: string): FirewallDocument => ({
  rules: [createRule({ id: 'r1', property: 'Dest port', value: port, action: 'Pass' })],
  settings: { ...DEFAULT_SETTINGS },
});

/** An nft whose full table listing takes `listMs` unless it is cancelled. */
class SlowListNft implements NftRunner {
  table: unknown = null;
  refuse = false;
  listMs = 300;
  /** Full listings: how each ended. */
  listings: ('done' | 'aborted')[] = [];
  loads = 0;
  /** Loads and finished listings, in order. */
  events: string[] = [];
  private started: (() => void)[] = [];
  /** Resolves when the next full listing starts. */
  listingStarts(): Promise<void> {
    return new Promise((resolve) => this.started.push(resolve));
  }
  async run(args: string[], signal?: AbortSignal): Promise<NftResult> {
    const ok = (stdout = ''): NftResult => ({ code: 0, stdout, stderr: '' });
    // Loads are JSON files; listings of several commands are `.nft` files (list sets: none here).
    if (args[0] === '-j' && args[1] === '-f' && !String(args[2]).endsWith('.json'))
      return ok('{"nftables":[]}');
    if (args[0] === '-j' && args[1] === '-f') {
      this.loads++;
      this.events.push('load');
      if (this.refuse) return { code: 1, stdout: '', stderr: 'Error: refused\n' };
      this.table = { nftables: [{ table: { family: 'inet', name: 'treewall' } }] };
      return ok();
    }
    if (args[0] === '-j' && args.includes('list') && args.includes('table')) {
      if (!this.table) return { code: 1, stdout: '', stderr: 'Error: No such file or directory\n' };
      const table = JSON.stringify(this.table);
      for (const resolve of this.started.splice(0)) resolve();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.listMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
      }).then(
        () => {
          this.listings.push('done');
          this.events.push('listed');
        },
        (error: unknown) => {
          this.listings.push('aborted');
          throw error;
        },
      );
      return ok(table);
    }
    if (args.includes('tables')) return ok(this.table ? 'table inet treewall\n' : '');
    return ok('{"nftables":[]}');
  }
}

describe('the fingerprint listing after an apply', () => {
  let dir: string;
  let nft: SlowListNft;
  let service: HelperService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-helper-fingerprint-'));
    nft = new SlowListNft();
    service = serviceOverFakeNft(dir, nft);
    await service.start();
  });
  afterEach(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives way to an apply that follows at once; the last table still gets its fingerprint', async () => {
    await service.apply(doc('22'));
    // The first apply's fingerprint job is queued (or running); this apply replaces the table.
    await service.apply(doc('23'));
    const status = await service.status();
    expect(status.active).toBe(true);
    expect(status.matchesApplied).toBe(true);
    expect(status.documentHash).not.toBe('');
    // The second load did not wait for a listing of the first table.
    expect(nft.events.slice(0, 2)).toEqual(['load', 'load']);
  });

  it('cancels a listing already running when an apply arrives', async () => {
    nft.listMs = 60_000;
    const started = nft.listingStarts();
    await service.apply(doc('22'));
    await started;
    await service.apply(doc('23'));
    expect(nft.listings[0]).toBe('aborted');
    expect(nft.events.slice(0, 2)).toEqual(['load', 'load']);
    nft.listMs = 10;
    expect((await service.status()).matchesApplied).toBe(true);
  });

  it('takes the fingerprint again when the apply that skipped it changed nothing', async () => {
    await service.apply(doc('22'));
    nft.refuse = true;
    await expect(service.apply(doc('23'))).rejects.toThrow(/refused/);
    nft.refuse = false;
    const status = await service.status();
    expect(status.matchesApplied).toBe(true);
    expect(status.documentHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
