// Issue 12 item 9: one input budget for all of the helper's connections. Eight clients sending
// 60 MiB lines at once took the helper from 79 to 562 MiB (871 MiB here) with per-connection caps
// only; with the budget, lines that do not fit are refused with `too-large`, the helper keeps
// serving, and its peak memory no longer grows with the number of clients.
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelSkipReason, kernelTestsAvailable, sweepStale, TestNet } from '../testing/netns.ts';
import { HelperClient } from '../common/helper-client.ts';
import { InputBudget, LineSplitter } from '../common/lines.ts';
import { startHelper, type HelperProcess } from '../testing/treewall-processes.ts';

describe('InputBudget shared by line splitters', () => {
  it('refuses a line that does not fit, gives bytes back when answered or disconnected', () => {
    const budget = new InputBudget(100);
    const a = new LineSplitter(80, budget);
    const b = new LineSplitter(80, budget);
    expect(a.push(Buffer.from('x'.repeat(70)))).toEqual([]); // a holds 70 of 100
    expect(b.push(Buffer.from('y'.repeat(40)))).toEqual([{ kind: 'over-budget', bytes: 40 }]);
    expect(b.push(Buffer.from('yy\nz\n'))).toEqual([{ kind: 'line', text: 'z', bytes: 1 }]);
    expect(budget.used).toBe(71);
    const [line] = a.push(Buffer.from('x\n'));
    expect(line).toEqual({ kind: 'line', text: 'x'.repeat(71), bytes: 71 });
    expect(budget.used).toBe(72); // taken until the caller answers
    budget.give(71);
    budget.give(1);
    expect(budget.used).toBe(0);
    a.push(Buffer.from('x'.repeat(50)));
    a.dispose();
    expect(budget.used).toBe(0);
    // Oversized lines give their partial bytes back too.
    b.push(Buffer.from('y'.repeat(60)));
    expect(b.push(Buffer.from('y'.repeat(30)))).toEqual([{ kind: 'oversized', bytes: 90 }]);
    expect(budget.used).toBe(0);
  });
});

const peakMiB = (pid: number): number =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const rssMiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe.skipIf(!kernelTestsAvailable)(
  `helper input budget (real process)${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('hmem');
    let h: HelperProcess | undefined;
    let socket: string;

    beforeAll(async () => {
      await sweepStale('hmem');
      const ns = await net.namespace('h');
      h = await startHelper({
        namespace: ns.name,
        folderMode: 0o711,
        args: ['--log-group', '3021'],
      });
      socket = h.socket;
    }, 60_000);

    afterAll(async () => {
      await h?.stop();
      await net.cleanup();
    });

    it('eight clients with 60 MiB lines: the extra lines are refused, memory stays bounded', async () => {
      writeFileSync(`/proc/${h!.pid}/clear_refs`, '5'); // peak = now
      const before = rssMiB(h!.pid);
      const line = Buffer.from(
        `{"id":1,"call":"status","params":{},"pad":"${'x'.repeat(60 * 1048576 - 60)}"}\n`,
      );
      const replies = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<{ code?: string; message?: string }>((resolve, reject) => {
              const s = connect(socket);
              let got = '';
              s.on('data', (d: Buffer) => {
                got += d.toString();
                const nl = got.indexOf('\n');
                if (nl < 0) return;
                s.destroy();
                resolve(
                  (JSON.parse(got.slice(0, nl)) as { error?: { code: string; message: string } })
                    .error ?? {},
                );
              });
              s.on('error', reject);
              s.on('connect', () => s.write(line));
            }),
        ),
      );
      const refused = replies.filter((r) => /already holds .* of input/.test(r.message ?? ''));
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((r) => r.code === 'too-large')).toBe(true);
      // The lines that fitted were read and answered (a bad request: `pad` is not a field).
      expect(replies.filter((r) => r.code === 'bad-request').length).toBeGreaterThan(0);
      // Eight such lines are 480 MiB of raw bytes alone; before the budget the peak grew by ~770.
      expect(peakMiB(h!.pid) - before).toBeLessThan(480);
      // Still serving, and the budget is free again.
      const client = await HelperClient.connect(socket);
      expect((await client.call('status', {})).protocol).toBeGreaterThan(0);
      await client.close();
    }, 120_000);
  },
);
