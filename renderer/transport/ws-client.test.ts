import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlistValue } from '../../shared/model/types.ts';
import { decodeWire, encodeWire } from '../../shared/ipc/wire.ts';
import { encodeCall, wsUrlFromLocation } from './ws-client.ts';

describe('wsUrlFromLocation', () => {
  it('keeps host, port, token and path, and asks for compact documents', () => {
    expect(wsUrlFromLocation('http://127.0.0.1:8080/?token=abc')).toBe(
      'ws://127.0.0.1:8080/ws?token=abc&compact=1',
    );
    expect(wsUrlFromLocation('http://[::1]:9/index.html?path=a%20b.treewall&token=t-_x#frag')).toBe(
      'ws://[::1]:9/ws?token=t-_x&path=a%20b.treewall&compact=1',
    );
    expect(wsUrlFromLocation('https://h/?x=1')).toBe('wss://h/ws?token=&compact=1');
    expect(() => wsUrlFromLocation('file:///x')).toThrow();
  });
});

describe('wire format', () => {
  const plist: fc.Arbitrary<PlistValue> = fc.letrec<{ value: PlistValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
      fc.boolean(),
      fc.uint8Array({ maxLength: 20 }),
      fc.date({ noInvalidDate: true }),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
    ),
  })).value;

  it('round-trips every property-list value, including data and dates', () => {
    fc.assert(
      fc.property(plist, (value) => {
        expect(decodeWire(encodeWire({ id: 1, result: { ok: true, value } }))).toEqual({
          id: 1,
          result: { ok: true, value },
        });
      }),
    );
  });

  it('leaves look-alike objects with more keys alone', () => {
    for (const value of [{ $date: 'x' }, { $bytes: 'AA==' }, { $date: 'not a date', other: 1 }]) {
      expect(decodeWire(encodeWire(value))).toEqual(value);
    }
  });
});

describe('encodeCall', () => {
  it('sends a documentText as the request document, spliced in unescaped', () => {
    const document = { rules: [], settings: { a: 1 }, extra: { d: new Date(0) } };
    const documentText = encodeWire(document);
    const text = encodeCall({
      id: 3,
      channel: 'document:autosave',
      request: { key: 'k', path: null, name: '\u0000document', documentText },
    });
    expect(text).toContain(documentText);
    expect(decodeWire(text as string)).toEqual({
      id: 3,
      channel: 'document:autosave',
      request: { key: 'k', path: null, name: '\u0000document', document },
    });
  });

  it('sends documentText given as UTF-8 bytes as one UTF-8 JSON message of bytes', () => {
    const document = { rules: [], settings: { name: 'é ✓' }, extra: { d: new Date(0) } };
    const bytes = new TextEncoder().encode(encodeWire(document));
    const sent = encodeCall({
      id: 4,
      channel: 'document:autosave',
      request: { key: 'k', path: 'ü', name: 'x', documentText: bytes },
    });
    expect(sent).toBeInstanceOf(Uint8Array);
    expect(decodeWire(new TextDecoder().decode(sent as Uint8Array))).toEqual({
      id: 4,
      channel: 'document:autosave',
      request: { key: 'k', path: 'ü', name: 'x', document },
    });
  });

  it("puts the head and tail as stored gzip members around a gzip'd document", async () => {
    const through = async (bytes: Uint8Array, stream: CompressionStream | DecompressionStream) =>
      new Uint8Array(
        await new Response(
          new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream),
        ).arrayBuffer(),
      );
    const document = { rules: [], settings: { name: 'é' } };
    const gzipped = await through(
      new TextEncoder().encode(encodeWire(document)),
      new CompressionStream('gzip'),
    );
    const sent = encodeCall({
      id: 5,
      channel: 'document:autosave',
      request: { key: 'k', path: null, name: 'x', documentText: gzipped },
    });
    const inflated = await through(sent as Uint8Array, new DecompressionStream('gzip'));
    expect(decodeWire(new TextDecoder().decode(inflated))).toEqual({
      id: 5,
      channel: 'document:autosave',
      request: { key: 'k', path: null, name: 'x', document },
    });
  });

  it('sends any other call as encodeWire does', () => {
    const call = { id: 1, channel: 'document:open', request: { path: 'a' } };
    expect(encodeCall(call)).toBe(encodeWire(call));
  });
});
