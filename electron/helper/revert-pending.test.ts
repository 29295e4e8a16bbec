// `revertPending` (the helper protocol's conditional revert) with a fake nft, no root needed: a
// client that decided not to keep an apply reverts it only while that apply still awaits its
// confirm. A plain `revert` sent just after the confirm deadline re-applies the refused rules.
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

/** An nft that accepts every load and lists one (empty) table of ours once one was loaded. */
class AcceptingNft implements NftRunner {
  private loaded = false;
  async run(args: string[]): Promise<NftResult> {
    const ok = (stdout = ''): NftResult => ({ code: 0, stdout, stderr: '' });
    if (args[0] === '-j' && args[1] === '-f') {
      this.loaded = true;
      return ok();
    }
    if (args.includes('list') && args.includes('table')) {
      if (!this.loaded)
        return { code: 1, stdout: '', stderr: 'Error: No such file or directory\n' };
      return ok(
        args[0] === '-j'
          ? JSON.stringify({ nftables: [{ table: { family: 'inet', name: 'treewall' } }] })
          : 'table inet treewall {\n}\n',
      );
    }
    if (args.includes('tables')) return ok(this.loaded ? 'table inet treewall\n' : '');
    return ok('{"nftables":[]}');
  }
}

describe('revertPending: revert one apply only while it awaits its confirm', () => {
  let dir: string;
  let service: HelperService;
  const active = async () => (await service.showActive(false)).document;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-revert-pending-'));
    service = serviceOverFakeNft(dir, new AcceptingNft());
    await service.start();
    await service.apply(doc('22'));
  });
  afterEach(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reverts the apply it names while its confirm is pending', async () => {
    const applied = await service.apply(doc('23'), 600);
    const { reverted, status } = await service.revertPending(applied.appliedAt!);
    expect(reverted).toBe(true);
    expect(status.pendingConfirm).toBeNull();
    expect(await active()).toEqual(doc('22'));
  });

  it('changes nothing for another apply than the one in force', async () => {
    const first = await service.apply(doc('23'), 600);
    const second = await service.apply(doc('24'), 600);
    expect(second.appliedAt).not.toBe(first.appliedAt);
    const { reverted, status } = await service.revertPending(first.appliedAt!);
    expect(reverted).toBe(false);
    expect(status.pendingConfirm).not.toBeNull();
    expect(await active()).toEqual(doc('24'));
  });

  it('changes nothing once the apply was confirmed', async () => {
    const applied = await service.apply(doc('23'), 600);
    await service.confirm();
    expect((await service.revertPending(applied.appliedAt!)).reverted).toBe(false);
    expect(await active()).toEqual(doc('23'));
  });

  it('after the deadline restored the previous rules, leaves them (a plain revert re-applies the refused ones)', async () => {
    const applied = await service.apply(doc('23'), 1);
    // The deadline passes: the helper restores 22 by itself.
    await expect.poll(active, { timeout: 10_000, interval: 100 }).toEqual(doc('22'));
    const { reverted, status } = await service.revertPending(applied.appliedAt!);
    expect(reverted).toBe(false);
    expect(status.lastError).toMatch(/rolled back: no confirm within 1 s/);
    expect(await active()).toEqual(doc('22'));
    // The hazard it avoids: `revert` now goes back to what the deadline replaced.
    await service.revert();
    expect(await active()).toEqual(doc('23'));
  });
});
