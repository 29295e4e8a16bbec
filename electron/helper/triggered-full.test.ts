// Issue 12 item 10: a triggered table holds at most 65535 addresses per family (the size nft
// gives a dynamic set). Importing more used to fail as a whole with the kernel's ENFILE, "Too
// many open files in system"; now what fits is imported and the rest is reported by line, and
// adding to a full table says that it is full. A real helper in a namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS } from '../../shared/model/types.ts';
import { HelperCallError, type HelperClient } from '../common/helper-client.ts';
import { kernelSkipReason, kernelTestsAvailable } from '../testing/netns.ts';
import { startHelperInNamespace, type HelperInNamespace } from '../testing/treewall-processes.ts';

/** `n` distinct IPv4 addresses in 10.0.0.0/8, starting at offset `from`. */
const addresses = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k + 1;
    return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  });

describe.skipIf(!kernelTestsAvailable)(
  `triggered import past a table's size${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    let h: HelperInNamespace;
    let client: HelperClient;
    beforeAll(async () => {
      h = await startHelperInNamespace('trigfull');
      client = await h.connect();
      await client.call('apply', {
        document: {
          rules: [
            createRule({ id: 'ban', property: 'Include', value: 'triggered', action: 'Delete' }),
          ],
          settings: { ...DEFAULT_SETTINGS },
        },
      });
    }, 60_000);
    afterAll(async () => {
      await client?.close().catch(() => undefined);
      await h?.stop();
    });

    it('imports what fits, reports the rest by line, and a full table says so', async () => {
      await client.call('triggered.add', { address: '10.255.255.254', type: 'trigger' });
      // 65,600 lines: 65,534 fit beside the one above, plus the one above again (it fits: it is
      // already there), and 65 do not; one IPv6 line goes to the other family's table.
      const v4 = addresses(65_599);
      const text = ['# address\ttype', ...v4, '10.255.255.254', 'fd00::1'].join('\n');
      const r = await client.call('triggered.import', { text }, { timeoutMs: 120_000 });
      expect(r.added).toBe(65_534 + 1 + 1);
      expect(r.skipped).toHaveLength(65);
      expect(r.skipped[0]).toEqual({
        line: 2 + 65_534,
        message:
          'not imported: trig4 is full (a triggered table holds at most 65535 addresses per address family)',
      });
      const list = await client.call('triggered.list', { type: 'trigger' }, { timeoutMs: 60_000 });
      const manual = list.entries.filter((e) => e.ruleId === null);
      expect(manual.filter((e) => !e.address.includes(':'))).toHaveLength(65_535);
      expect(manual.some((e) => e.address === 'fd00::1')).toBe(true);

      const error = await client
        .call('triggered.add', { address: '10.254.0.1', type: 'trigger' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HelperCallError);
      expect((error as HelperCallError).message).toMatch(
        /the triggered table is full \(at most 65535/,
      );
      expect((error as HelperCallError).message).not.toMatch(/Too many open files/);
    }, 180_000);
  },
);
