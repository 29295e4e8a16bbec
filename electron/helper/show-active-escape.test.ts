// Issue 12 item 7 with the kernel: text that reaches our table from outside treewall (here a
// counter whose comment carries ESC sequences, added with nft behind the helper's back) comes
// out of `treewall show-active --nft` escaped, never raw on the administrator's terminal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS } from '../../shared/model/types.ts';
import { kernelSkipReason, kernelTestsAvailable } from '../testing/netns.ts';
import {
  runTreewall,
  startHelperInNamespace,
  type HelperInNamespace,
} from '../testing/treewall-processes.ts';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** The CLI, every byte of its output and errors as one character (latin1): a raw C1 byte shows. */
async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await runTreewall(args, { encoding: 'latin1' });
  return { code: r.code, out: r.stdout + r.stderr };
}

describe.skipIf(!kernelTestsAvailable)(
  `show-active --nft escapes what the kernel holds${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    let h: HelperInNamespace;
    let dir: string;
    beforeAll(async () => {
      h = await startHelperInNamespace('showesc');
      dir = mkdtempSync(join(tmpdir(), 'tw-showesc-'));
      const client = await h.connect();
      await client.call('apply', {
        document: {
          rules: [createRule({ id: 'a', name: 'plain', action: 'Pass' })],
          settings: { ...DEFAULT_SETTINGS },
        },
      });
      await client.close();
    }, 60_000);
    afterAll(async () => {
      await h?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('prints the hostile comment as \\u001b escapes', async () => {
      const file = join(dir, 'evil.json');
      writeFileSync(
        file,
        JSON.stringify({
          nftables: [
            {
              add: {
                counter: {
                  family: 'inet',
                  table: 'treewall',
                  name: 'evil',
                  comment: 'x\u001b]0;owned\u0007\u001b[2Jy',
                },
              },
            },
          ],
        }),
      );
      await h.server.exec(['nft', '-j', '-f', file]);
      // The kernel really holds it: nft itself prints the ESC raw.
      expect(await h.server.nft(['list', 'counter', 'inet', 'treewall', 'evil'])).toContain(
        '\u001b[2J',
      );

      const r = await cli(['show-active', '--nft', '--socket', h.socket]);
      expect(r.code).toBe(0);
      expect(r.out).toContain('x\\u001b]0;owned\\u0007\\u001b[2Jy');
      expect(r.out).not.toMatch(RAW_CONTROL);
    }, 60_000);
  },
);
