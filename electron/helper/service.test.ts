// The helper service with a fake nft (no root needed): what happens when nft refuses a
// transaction, and that the refusal changes nothing.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import type { NftResult, NftRunner } from './nft.ts';
import { serviceOverFakeNft } from '../testing/fake-nft-service.ts';
import { HelperFault, type HelperService } from './service.ts';
import { StateDir } from './state.ts';

const doc = (port: string): FirewallDocument => ({
  rules: [createRule({ id: 'r1', property: 'Dest port', value: port, action: 'Pass' })],
  settings: { ...DEFAULT_SETTINGS },
});

/** An nft that keeps one table in memory as "applied JSON", and can be told to refuse loads. */
class FakeNft implements NftRunner {
  table: unknown = null;
  refuse = false;
  calls: string[][] = [];
  async run(args: string[]): Promise<NftResult> {
    this.calls.push(args);
    const ok = (stdout = ''): NftResult => ({ code: 0, stdout, stderr: '' });
    if (args[0] === '-j' && args[1] === '-f') {
      if (this.refuse)
        return {
          code: 1,
          stdout: '',
          stderr: 'Error: Could not process rule: No buffer space available\n',
        };
      this.table = { nftables: [{ table: { family: 'inet', name: 'treewall' } }] };
      return ok();
    }
    if (args.includes('list') && args.includes('table')) {
      if (!this.table) return { code: 1, stdout: '', stderr: 'Error: No such file or directory\n' };
      return ok(args[0] === '-j' ? JSON.stringify(this.table) : 'table inet treewall {\n}\n');
    }
    if (args.includes('tables')) return ok(this.table ? 'table inet treewall\n' : '');
    return ok('{"nftables":[]}');
  }
}

describe('HelperService with a refusing nft', () => {
  let dir: string;
  let nft: FakeNft;
  let service: HelperService;
  /** A service over `dir`'s state, as a restart of the helper would make it. */
  const newService = () => serviceOverFakeNft(dir, nft);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-helper-service-'));
    nft = new FakeNft();
    service = newService();
    await service.start();
  });
  afterEach(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports nft-failed with nft message, keeps the previous document, writes no state', async () => {
    await service.apply(doc('22'));
    await service.apply(doc('23'));
    nft.refuse = true;
    const error = await service.apply(doc('80')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HelperFault);
    expect((error as HelperFault).error.code).toBe('nft-failed');
    expect((error as HelperFault).error.message).toMatch(
      /No buffer space available.*previous rules are still in force/,
    );
    const shown = await service.showActive();
    expect(shown.document).toEqual(doc('23'));
    // On disk too: the files staged while nft ran were dropped, not put in place.
    const disk = new StateDir(join(dir, 'state'));
    expect((await disk.readActive())?.document).toEqual(doc('23'));
    expect(await disk.readPrevious()).toEqual(doc('22'));
    expect(readdirSync(join(dir, 'state')).filter((f) => f.startsWith('.state-'))).toEqual([]);
    // The refused document did not become "previous" either: revert goes back to 22.
    nft.refuse = false;
    await service.revert();
    expect((await service.showActive()).document).toEqual(doc('22'));
    // The apply's temporary file is gone. (A `.nft-*.nft` file may exist for a moment: a
    // listing the helper runs in the background, e.g. the fingerprint after the revert, whose
    // own file it removes when nft ends.)
    expect(
      readdirSync(join(dir, 'state')).filter((f) => f.startsWith('.nft-') && f.endsWith('.json')),
    ).toEqual([]);
  });

  it('keeps the previous document on disk across applies and a restart (revert after restart)', async () => {
    await service.apply(doc('22'));
    await service.apply(doc('23'));
    await service.apply(doc('24'));
    const disk = new StateDir(join(dir, 'state'));
    expect(await disk.readPrevious()).toEqual(doc('23'));
    expect((await disk.readActive())?.document).toEqual(doc('24'));
    await service.close();
    service = newService();
    await service.start();
    await service.revert();
    expect((await service.showActive()).document).toEqual(doc('23'));
    expect(await disk.readPrevious()).toEqual(doc('24'));
    await service.revert();
    expect((await service.showActive()).document).toEqual(doc('24'));
    expect(await disk.readPrevious()).toEqual(doc('23'));
  });

  it('an apply without a confirm timeout removes the pending confirm from disk, and needs none', async () => {
    const disk = new StateDir(join(dir, 'state'));
    await service.apply(doc('22'));
    expect(await disk.readPending()).toBeNull();
    await service.apply(doc('23'), 60);
    expect((await disk.readPending())?.restore).toEqual(doc('22'));
    await service.apply(doc('24'));
    expect(await disk.readPending()).toBeNull();
    expect((await service.status()).pendingConfirm).toBeNull();
    await service.apply(doc('25'));
    expect(await disk.readPending()).toBeNull();
  });

  it('refuses an invalid document before nft runs', async () => {
    const before = nft.calls.length;
    const error = await service.apply(doc('99999')).catch((e: unknown) => e);
    expect((error as HelperFault).error).toMatchObject({
      code: 'invalid-document',
      field: 'params.document',
    });
    expect((error as HelperFault).error.problems?.[0]).toMatchObject({
      ruleId: 'r1',
      field: 'value',
    });
    // No load (a program is a .json file; the bans' listing, `-f` of a .nft file of list
    // commands, runs beside the compile whatever the document).
    const loads = nft.calls
      .slice(before)
      .filter((a) => a.includes('-f') && a.at(-1)?.endsWith('.json'));
    expect(loads).toEqual([]);
  });

  it('refuses a document that compiles but fails validation (an outbound destination) with no load', async () => {
    await service.apply(doc('22'));
    const before = nft.calls.length;
    const webhook: FirewallDocument = {
      rules: [
        createRule({ id: 'r1', property: 'Dest port', value: '23', action: 'Pass' }),
        createRule({
          id: 'w1',
          property: 'Dest port',
          value: '24',
          action: 'Webhook',
          parameter: 'https://evil.example/',
        }),
      ],
      settings: { ...DEFAULT_SETTINGS },
    };
    const error = await service.apply(webhook).catch((e: unknown) => e);
    expect((error as HelperFault).error).toMatchObject({ code: 'invalid-document' });
    expect((error as HelperFault).error.problems?.[0]).toMatchObject({
      ruleId: 'w1',
      field: 'parameter',
    });
    const loads = nft.calls
      .slice(before)
      .filter((a) => a.includes('-f') && a.at(-1)?.endsWith('.json'));
    expect(loads).toEqual([]);
    expect((await service.showActive()).document).toEqual(doc('22'));
    // Nothing half-done stays behind: the next apply loads.
    await service.apply(doc('25'));
    expect((await service.showActive()).document).toEqual(doc('25'));
  });

  it('reports the log reader as unavailable without tcpdump', async () => {
    await service.apply(doc('22'));
    expect((await service.status()).logReader).toBe('unavailable');
  });
});
