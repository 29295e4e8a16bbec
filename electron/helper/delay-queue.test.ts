// Runtime: vitest, needs python3 (no root, no kernel). The Delay queue worker's netlink messages,
// byte for byte as the kernel's structs lay them out (nfgenmsg with a big-endian res_id, the xt
// NFQUEUE target's xt_NFQ_info_v3 in host order, nfqueue verdicts and config in network order),
// and its refusal of anything but the numbers and names the compiler makes. The kernel test
// (electron/testing/delay-kernel.test.ts) checks that the kernel takes them.
import { spawnSync } from 'node:child_process';
import { endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/compiler/index.ts';
import { doc, rule } from '../../shared/evaluator/test-rules.ts';
import { workerRequest } from './delay-queue.ts';
import { systemProgram } from './programs.ts';

const SCRIPT = fileURLToPath(new URL('./nft-queue.py', import.meta.url));

/** Run `body` (python) with the worker's module imported as `q`; its stdout, parsed as JSON. */
function py(body: string): unknown {
  const program = [
    'import importlib.util, json, sys',
    `spec = importlib.util.spec_from_file_location('q', ${JSON.stringify(SCRIPT)})`,
    'q = importlib.util.module_from_spec(spec)',
    'spec.loader.exec_module(q)',
    body,
  ].join('\n');
  const r = spawnSync(systemProgram('python3'), ['-c', program], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

const hostOrder16 = (n: number): string => {
  const b = Buffer.alloc(2);
  if (endianness() === 'LE') b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b.toString('hex');
};

describe('Delay queue worker: netlink encoding', () => {
  it('the xt NFQUEUE target (revision 3, queue 27200, one queue, bypass) and the native queue', () => {
    const [target = '', closed = '', native = ''] = py(
      'print(json.dumps([q.nfqueue_target(27200, True).hex(), q.nfqueue_target(27201, False).hex(), q.native_queue(27201, False).hex()]))',
    ) as string[];
    expect(target).toBe(
      // NFTA_EXPR_NAME "target\0" (padded), NFTA_EXPR_DATA nested (0x8002, 36 bytes):
      '0b000100' +
        Buffer.from('target\0').toString('hex') +
        '00' +
        '24000280' +
        // NFTA_TARGET_NAME "NFQUEUE\0", NFTA_TARGET_REV be32 3,
        '0c000100' +
        Buffer.from('NFQUEUE\0').toString('hex') +
        '08000200' +
        '00000003' +
        // NFTA_TARGET_INFO: xt_NFQ_info_v3 {queuenum, queues_total 1, flags NFQ_FLAG_BYPASS}, to 8.
        '0c000300' +
        hostOrder16(27200) +
        hostOrder16(1) +
        hostOrder16(1) +
        '0000',
    );
    // Closed: no bypass flag (a queue without a reader drops).
    expect(closed.slice(-16)).toBe(hostOrder16(27201) + hostOrder16(1) + hostOrder16(0) + '0000');
    // nft_queue: NFTA_QUEUE_NUM / TOTAL / FLAGS, be16 each.
    expect(native).toBe(
      '0a000100' +
        Buffer.from('queue\0').toString('hex') +
        '0000' +
        '1c000280' +
        '06000100' +
        '6a410000' +
        '06000200' +
        '00010000' +
        '06000300' +
        '00000000',
    );
  });

  it('one batch: begin, flush the placeholder, append the queue rule, end', () => {
    const [hex, wanted] = py(
      "b, w = q.fill_batch('treewall', [{'num': 27200, 'ms': 300, 'bypass': True, 'chain': 'dq0'}], q.nfqueue_target, 100)\nprint(json.dumps([b.hex(), w]))",
    ) as [string, number[]];
    const bytes = Buffer.from(hex, 'hex');
    const messages: { type: number; flags: number; seq: number; family: number; resId: number }[] =
      [];
    for (let at = 0; at < bytes.length;) {
      const length = bytes.readUInt32LE(at);
      messages.push({
        type: bytes.readUInt16LE(at + 4),
        flags: bytes.readUInt16LE(at + 6),
        seq: bytes.readUInt32LE(at + 8),
        family: bytes[at + 16]!,
        resId: bytes.readUInt16BE(at + 18),
      });
      at += (length + 3) & ~3;
    }
    expect(messages).toEqual([
      { type: 0x10, flags: 0x1, seq: 100, family: 0, resId: 10 }, // NFNL_MSG_BATCH_BEGIN, nftables
      { type: 0x0a08, flags: 0x5, seq: 101, family: 1, resId: 0 }, // DELRULE (flush), inet, ack
      { type: 0x0a06, flags: 0xc05, seq: 102, family: 1, resId: 0 }, // NEWRULE create|append|ack
      { type: 0x11, flags: 0x1, seq: 103, family: 0, resId: 10 }, // NFNL_MSG_BATCH_END
    ]);
    expect(wanted).toEqual([101, 102]);
    expect(hex).toContain(Buffer.from('treewall\0').toString('hex'));
    expect(hex).toContain('08000200' + Buffer.from('dq0\0').toString('hex'));
  });

  it('verdicts, queue config and received packets', () => {
    const [verdict, bind, params, parsed, other] = py(
      [
        'pkt = q.message((3 << 8) | 0, 0, 1, 2, 27201, q.attr(1, bytes.fromhex("0000002a0800") + bytes([1])))',
        'print(json.dumps([q.verdict_message(27200, 7, 5).hex(), q.config_message(27200, 9, cmd=1).hex(),',
        '  q.config_message(27200, 9, params=(0, 1), maxlen=1024, flags=1).hex(),',
        '  q.parse_packet(pkt), q.parse_packet(q.config_message(27200, 9, cmd=1))]))',
      ].join('\n'),
    ) as [string, string, string, number[], null];
    // NFQNL_MSG_VERDICT on queue 27200 (res_id big-endian): NFQA_VERDICT_HDR {NF_ACCEPT, id 7}.
    expect(verdict).toBe(
      '20000000' +
        '0103' +
        '0100' +
        '05000000' +
        '00000000' +
        '0000' +
        '6a40' +
        '0c000200' +
        '00000001' +
        '00000007',
    );
    // NFQNL_MSG_CONFIG, request + ack: NFQA_CFG_CMD {BIND, pad, pf 0}.
    expect(bind).toBe(
      '1c000000' +
        '0203' +
        '0500' +
        '09000000' +
        '00000000' +
        '0000' +
        '6a40' +
        '08000100' +
        '01000000',
    );
    // Copy mode meta (no payload copied), at most 1024 held, fail-open on overflow.
    expect(params).toContain('09000200' + '00000000' + '01' + '000000');
    expect(params).toContain('08000300' + '00000400');
    expect(params).toContain('08000400' + '00000001' + '08000500' + '00000001');
    expect(parsed).toEqual([27201, 42]);
    expect(other).toBeNull();
  });
});

describe('Delay queue worker: what it accepts', () => {
  it('the request names only compiler-made chains and numbers', () => {
    const result = compile(
      doc([
        rule('Dest port', '80', 'Delay', [], {
          id: 'x"; flush ruleset',
          parameter: '250ms closed',
        }),
      ]),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(JSON.parse(workerRequest('treewall', result.delays))).toEqual({
      table: 'treewall',
      queues: [{ num: 27200, ms: 250, bypass: false, chain: 'dq0' }],
    });
  });

  it.each([
    [{ table: 'tree wall', queues: [] }, /table/],
    [{ table: 't";flush ruleset', queues: [] }, /table/],
    [{ table: 't', queues: [{ num: 1, ms: 1, bypass: true, chain: 'dq0' }] }, /queue number 1/],
    [{ table: 't', queues: [{ num: 27216, ms: 1, bypass: true, chain: 'dq0' }] }, /27200-27215/],
    [{ table: 't', queues: [{ num: 27200, ms: 60001, bypass: true, chain: 'dq0' }] }, /delay/],
    [{ table: 't', queues: [{ num: 27200, ms: 1.5, bypass: true, chain: 'dq0' }] }, /delay/],
    [{ table: 't', queues: [{ num: 27200, ms: 1, bypass: 1, chain: 'dq0' }] }, /bypass/],
    [{ table: 't', queues: [{ num: 27200, ms: 1, bypass: true, chain: 'dq0 x' }] }, /chain/],
    [{ table: 't', queues: [{ num: true, ms: 1, bypass: true, chain: 'dq0' }] }, /queue number/],
    [
      {
        table: 't',
        queues: [
          { num: 27200, ms: 1, bypass: true, chain: 'dq0' },
          { num: 27200, ms: 2, bypass: true, chain: 'dq1' },
        ],
      },
      /each once/,
    ],
  ])('refuses %j', (request, message) => {
    const out = py(
      `try:\n    q.validate(json.loads(${JSON.stringify(JSON.stringify(request))}))\n    print(json.dumps(None))\nexcept ValueError as e:\n    print(json.dumps(str(e)))`,
    );
    expect(out).toMatch(message);
  });
});
