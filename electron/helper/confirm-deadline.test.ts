// The confirm deadline without the kernel and without waiting it out: the service over a fake nft,
// with a fake clock (vitest's timers and Date), so a 20 s deadline passes in no time. The real
// rollback in the kernel is helper.test.ts's business.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import type { NftResult, NftRunner } from './nft.ts';
import type { HelperService } from './service.ts';
import { serviceOverFakeNft } from '../testing/fake-nft-service.ts';

const doc = (port: string): FirewallDocument => ({
  rules: [createRule({ id: 'r1', property: 'Dest port', value: port, action: 'Pass' })],
  settings: { ...DEFAULT_SETTINGS },
});

/** An nft that accepts every transaction and counts them. */
class FakeNft implements NftRunner {
  loads = 0;
  private table = false;
  async run(args: string[]): Promise<NftResult> {
    const ok = (stdout = ''): NftResult => ({ code: 0, stdout, stderr: '' });
    // A transaction is a .json file; list commands come as a .nft file.
    if (args[0] === '-j' && args[1] === '-f' && args[2]?.endsWith('.json')) {
      this.loads++;
      this.table = true;
      return ok();
    }
    if (args.includes('list') && args.includes('table')) {
      if (!this.table) return { code: 1, stdout: '', stderr: 'Error: No such file or directory\n' };
      return ok(args[0] === '-j' ? '{"nftables":[]}' : 'table inet treewall {\n}\n');
    }
    if (args.includes('tables')) return ok(this.table ? 'table inet treewall\n' : '');
    return ok('{"nftables":[]}');
  }
}

describe('confirm deadline (fake clock)', () => {
  let dir: string;
  let nft: FakeNft;
  let service: HelperService;

  beforeEach(async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    dir = mkdtempSync(join(tmpdir(), 'tw-confirm-'));
    nft = new FakeNft();
    service = serviceOverFakeNft(dir, nft);
    await service.start();
  });
  afterEach(async () => {
    await service.close();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rolls back to the confirmed rules when the deadline passes, not a moment before', async () => {
    await service.apply(doc('22'));
    const pending = await service.apply(doc('23'), 20);
    expect(pending.pendingConfirm).not.toBeNull();
    // (The helper may stage the rollback in the kernel ahead of the deadline; what counts is
    // which rules are in force when.)
    await vi.advanceTimersByTimeAsync(19_000);
    expect((await service.showActive(false)).document).toEqual(doc('23'));
    expect((await service.status()).pendingConfirm).not.toBeNull();

    const loads = nft.loads;
    await vi.advanceTimersByTimeAsync(1_500);
    await vi.waitFor(async () =>
      expect((await service.showActive(false)).document).toEqual(doc('22')),
    );
    expect(nft.loads).toBeGreaterThan(loads);
    expect((await service.status()).pendingConfirm).toBeNull();
  });

  it('keeps the new rules when confirmed in time', async () => {
    await service.apply(doc('22'));
    await service.apply(doc('23'), 20);
    await vi.advanceTimersByTimeAsync(10_000);
    await service.confirm();
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await service.showActive(false)).document).toEqual(doc('23'));
    expect((await service.status()).pendingConfirm).toBeNull();
  });
});
