import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGzip, storedGzipMember } from './gzip.ts';

describe('storedGzipMember', () => {
  it('is read back by zlib, alone and between compressed members', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140_000 }), fc.uint8Array(), (a, b) => {
        const stored = storedGzipMember(a);
        expect(isGzip(stored)).toBe(true);
        expect(new Uint8Array(gunzipSync(stored))).toEqual(a);
        const joined = Buffer.concat([storedGzipMember(b), gzipSync(a), storedGzipMember(b)]);
        expect(new Uint8Array(gunzipSync(joined))).toEqual(new Uint8Array([...b, ...a, ...b]));
      }),
      { numRuns: 40 },
    );
  });
});
