// Data content / URL keyword: the compiled search's shape and limits, hostile values refused with
// the rule named (nothing compiled), and the reference evaluator and the table walk on the
// window's edges. Kernel proof with real packets: electron/testing/content-kernel.test.ts.
import { describe, expect, it } from 'vitest';
import { documentProblems } from './problems.ts';
import { compile, type CompileResult } from './index.ts';
import { evaluate, createState } from '../evaluator/index.ts';
import { tableWalk } from '../evaluator/table-walk.ts';
import { doc, pkt, rule } from '../evaluator/test-rules.ts';
import type { RelationName } from '../model/vocabulary.ts';
import type { Json } from './nft.ts';

const contentDoc = (value: string, relation: RelationName = '==', property = 'Data content') =>
  doc([
    rule('Dest port', '80', '->', [
      rule(property as 'Data content', value, 'Delete no log', [], { id: 'c', relation }),
    ]),
  ]);

const chain = (result: CompileResult, name: string): Json[][] => {
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.nft.nftables
    .map((c) => (c.add as { rule?: { chain: string; expr: Json[] } } | undefined)?.rule)
    .filter((x): x is { chain: string; expr: Json[] } => x !== undefined && x.chain === name)
    .map((x) => x.expr);
};

describe('Data content compiles to fixed-offset compares', () => {
  it('one line per start position in the 64-byte window, the jump guarded by protocol and length', () => {
    const result = compile(contentDoc('cmd.exe'));
    const lines = chain(result, 'a_c');
    expect(lines).toHaveLength(64 - 7 + 1);
    expect(JSON.stringify(lines[0])).toContain('"base":"ih","offset":0,"len":56');
    expect(JSON.stringify(lines.at(-1))).toContain('"offset":456'); // byte 57
    if (!result.ok) return;
    expect(result.text).toContain('meta l4proto { tcp, udp } @ih,48,8 & 0x00 == 0x00 jump a_c');
  });

  it('a=A masks 0x20 at letters only; long text is cut into 16-byte compares', () => {
    const result = compile(contentDoc('Ab.c', 'a=A'));
    if (!result.ok) throw new Error('refused');
    expect(result.text).toContain('@ih,0,32 & 0xdfdfffdf == 0x41422e43 goto r_c');
    const long = compile(contentDoc('x'.repeat(40)));
    if (!long.ok) throw new Error('refused');
    expect(long.text).toMatch(
      /@ih,0,128 0x(78){16} @ih,128,128 0x(78){16} @ih,256,64 0x(78){8} goto/,
    );
  });

  it('[offset,length,terminator]: the window and a return at each terminator byte', () => {
    const result = compile(contentDoc('[100,10,13]ab'));
    const lines = chain(result, 'a_c');
    // 9 positions, a terminator test after each but the last.
    expect(lines).toHaveLength(9 + 8);
    expect(JSON.stringify(lines[1])).toContain('{"return":null}');
    expect(JSON.stringify(lines[0])).toContain('"offset":800');
  });

  it('!= holds on other protocols and where no position matches', () => {
    const lines = chain(compile(contentDoc('ab', '!=')), 'a_c');
    expect(JSON.stringify(lines[0])).toContain('"op":"!=","left":{"meta":{"key":"l4proto"}}');
    expect(JSON.stringify(lines.at(-1))).toBe(JSON.stringify([{ goto: { target: 'r_c' } }]));
  });

  it('URL keyword: TCP, bytes 3..66, any case, stopping at CR', () => {
    const result = compile(contentDoc('cmd.exe', '==', 'URL keyword'));
    if (!result.ok) throw new Error('refused');
    expect(result.text).toContain('meta l4proto tcp @ih,72,8 & 0x00 == 0x00 jump a_c');
    expect(result.text).toContain('@ih,24,56 & 0xdfdfdfffdfdfdf == 0x434d442e455845 goto r_c');
    expect(result.text).toContain('@ih,24,8 0x0d return');
  });
});

describe('hostile content values: refused naming the rule, nothing compiled', () => {
  it.each([
    ['4 KB of text', 'A'.repeat(4096), /4096 bytes, longer than its 64-byte search window/],
    ['an invalid offset prefix', '[abc]cmd.exe', /starts with \[ but no search window/],
    ['a window past nft reach', '[65530,64]abc', /nftables reaches at most byte 65536/],
    ['a window too wide to unroll', '[0,9000]a', /more than 4096 per rule/],
    ['a relative offset', '[+5,128,13]xxx', /relative search offset/],
    ['two windows', '[0,8][0,8]x', /two search windows/],
    ['a terminator that is no byte', '[0,64,300]x', /not a byte/],
  ])('%s', (_what, value, message) => {
    const d = contentDoc(value);
    const result = compile(d);
    expect(result.ok).toBe(false);
    const problems = documentProblems(d).filter((p) => p.severity === 'error');
    expect(problems.map((p) => [p.ruleId, p.number])).toContainEqual(['c', '1.1']);
    expect(problems.find((p) => p.ruleId === 'c')?.message).toMatch(message);
  });

  it('quotes, NUL, % and backslash escapes are bytes, compared as hex (never nft syntax)', () => {
    const result = compile(contentDoc('"; flush ruleset; %00\\0\\r\\n\''));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const bytes = [...'"; flush ruleset; %00'].map((c) => c.charCodeAt(0)).concat([0, 13, 10, 39]);
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(result.text).toContain(`0x${hex.slice(0, 32)}`);
    expect(JSON.stringify(result.nft)).not.toContain('flush ruleset');
  });
});

describe('the evaluator and the table walk read the window alike', () => {
  const verdicts = (value: string, relation: RelationName, payload: string, proto = 'udp') => {
    const d = contentDoc(value, relation);
    const p = pkt(`in eth0 ${proto} 10.0.0.5:1000 > 10.0.0.1:80 payload "${payload}"`);
    const a = evaluate(d, p, createState(0)).verdict;
    const b = tableWalk(d, p, createState(0)).verdict;
    expect(b).toBe(a);
    return a;
  };
  it.each([
    ['abc', '==', 'abc', 'delete'],
    ['abc', '==', 'ABC', 'pass'],
    ['abc', 'a=A', 'xABC', 'delete'],
    ['a.c', 'a=A', 'a\x0ec', 'pass'],
    ['abc', '==', `${'x'.repeat(61)}abc`, 'delete'],
    ['abc', '==', `${'x'.repeat(62)}abc`, 'pass'],
    ['[4,4]abc', '==', 'xxxxabc', 'delete'],
    ['[4,4]abc', '==', 'xxxxxxabc', 'pass'],
    ['[0,64,47]abc', '==', 'x/abc', 'pass'],
    ['[0,64,47]/abc', '==', 'x/abc', 'delete'],
    ['abc', '!=', 'xyz', 'delete'],
    ['abc', '!=', 'abc', 'pass'],
  ] as const)('%s %s "%s" -> %s', (value, relation, payload, want) => {
    expect(verdicts(value, relation, payload)).toBe(want);
  });
  it('no TCP/UDP payload compares low: != holds, == does not', () => {
    for (const relation of ['==', '!='] as const) {
      const d = contentDoc('abc', relation);
      const p = pkt('in eth0 icmp 10.0.0.5 > 10.0.0.1 type 8 payload "abc"');
      const a = evaluate(
        doc([rule('Data content', 'abc', 'Delete no log', [], { relation })]),
        p,
        createState(0),
      );
      expect(a.verdict).toBe(relation === '!=' ? 'delete' : 'pass');
      expect(tableWalk(d, p, createState(0)).verdict).toBe('pass'); // under Dest port 80
    }
  });
});
