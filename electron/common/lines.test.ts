// LineSplitter: framing of the helper socket's newline-delimited JSON, however bytes are chunked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.ts';

describe('LineSplitter', () => {
  it('splits lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .string({ unit: 'grapheme', maxLength: 20 })
            .filter((s) => !s.includes('\n') && s.trim() !== ''),
        ),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }),
        (lines, cuts) => {
          const bytes = Buffer.from(lines.map((l) => l + '\n').join(''));
          const splitter = new LineSplitter(1024);
          const out: string[] = [];
          let at = 0;
          let i = 0;
          while (at < bytes.length) {
            const n = cuts[i++ % cuts.length]!;
            for (const e of splitter.push(bytes.subarray(at, at + n)))
              if (e.kind === 'line') out.push(e.text);
            at += n;
          }
          expect(out).toEqual(lines.map((l) => l.replace(/\r$/, '')));
        },
      ),
    );
  });

  it('reports an oversized line once, as soon as it passes the limit, then resumes', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('0123456'))).toEqual([]);
    expect(s.push(Buffer.from('789abc'))).toEqual([{ kind: 'oversized', bytes: 13 }]);
    expect(s.push(Buffer.from('more and more'))).toEqual([]);
    expect(s.push(Buffer.from('x\nok\n'))).toEqual([{ kind: 'line', text: 'ok', bytes: 2 }]);
    expect(s.pending()).toBe(0);
  });
});
