// Nft with a fake `nft` (no root): a refused transaction is kept for diagnosis, private, named in
// the error, and bounded in number; an accepted one leaves no file behind. And the table
// fingerprint: what changes it and what does not.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Nft,
  NftError,
  REFUSED_KEPT,
  tableFingerprint,
  type NftResult,
  type NftRunner,
} from './nft.ts';

class FakeNft implements NftRunner {
  refuse = false;
  async run(args: string[]): Promise<NftResult> {
    if (this.refuse && args[1] === '-f') {
      return { code: 1, stdout: '', stderr: 'Error: Could not process rule: Invalid argument\n' };
    }
    return { code: 0, stdout: '', stderr: '' };
  }
}

const transaction = (n: number) => ({
  nftables: [
    { metainfo: { json_schema_version: 1 } },
    { add: { table: { family: 'inet', name: `t${n}` } } },
  ],
});

describe('Nft and a refused transaction', () => {
  let dir: string;
  let fake: FakeNft;
  let nft: Nft;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tw-nft-'));
    fake = new FakeNft();
    nft = new Nft(fake, dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves nothing behind when nft accepts', async () => {
    await nft.applyJson(transaction(1));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the refused file (0600, in the state folder) and names it in the error', async () => {
    fake.refuse = true;
    const error = await nft.applyJson(transaction(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NftError);
    const { message, keptFile } = error as NftError;
    expect(keptFile).toBeDefined();
    expect(keptFile!.startsWith(dir + '/refused-')).toBe(true);
    expect(message).toContain('Invalid argument');
    expect(message).toContain(keptFile!);
    expect(statSync(keptFile!).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(keptFile!, 'utf8'))).toEqual(transaction(1));
    expect(readdirSync(dir).filter((n) => n.startsWith('.nft-'))).toEqual([]);
  });

  it(`keeps only the newest ${REFUSED_KEPT} refused transactions`, async () => {
    fake.refuse = true;
    const kept: string[] = [];
    for (let n = 0; n < REFUSED_KEPT + 3; n++) {
      const error = (await nft.applyJson(transaction(n)).catch((e: unknown) => e)) as NftError;
      kept.push(error.keptFile!);
    }
    // The survivors are the last ones refused, even within one millisecond.
    expect(
      readdirSync(dir)
        .map((n) => join(dir, n))
        .sort(),
    ).toEqual(kept.slice(-REFUSED_KEPT));
    expect(JSON.parse(readFileSync(kept.at(-1)!, 'utf8'))).toEqual(transaction(REFUSED_KEPT + 2));
  });
});

describe('tableFingerprint', () => {
  const list = (packets: number, elems: string[], extraRule = false) => ({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'treewall', handle: 1 } },
      {
        counter: {
          family: 'inet',
          name: 'c_a',
          table: 'treewall',
          handle: 2,
          packets,
          bytes: packets * 10,
        },
      },
      { set: { family: 'inet', name: 'trig4', table: 'treewall', handle: 3, elem: elems } },
      ...(extraRule
        ? [
            {
              rule: { family: 'inet', table: 'treewall', chain: 'input', expr: [{ accept: null }] },
            },
          ]
        : []),
    ],
  });
  it('ignores counters, handles and dynamic set contents but not rules', () => {
    expect(tableFingerprint(list(1, []))).toBe(tableFingerprint(list(99, ['10.0.0.1'])));
    expect(tableFingerprint(list(1, []))).not.toBe(tableFingerprint(list(1, [], true)));
  });
});
