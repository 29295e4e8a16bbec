// Issue 12 item 9: documents' binary data is bounded when they are read (a 50 MB <data> took
// `treewall serve` to 2.5 GB), in XML and in NeXT text alike, and what fits still round-trips.
import { describe, expect, it } from 'vitest';
import { parseDocumentText } from './document.ts';
import { MAX_DATA_BYTES, parseOpenStep, PlistSyntaxError } from './openstep.ts';
import { parseXmlPlistText } from './xml.ts';

const xmlWith = (...blobs: number[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><array>${blobs
    .map(
      (n) =>
        `<data>\n${Buffer.alloc(n, 0xab).toString('base64').replace(/.{76}/g, '$&\n')}\n</data>`,
    )
    .join('')}</array></plist>`;
const nextWith = (...blobs: number[]): string =>
  `(${blobs.map((n) => `<${Buffer.alloc(n, 0xab).toString('hex')}>`).join(', ')})`;

describe('binary data in documents is bounded', () => {
  it('accepts up to MAX_DATA_BYTES in total (XML and NeXT text)', () => {
    const half = MAX_DATA_BYTES / 2;
    const xml = parseXmlPlistText(xmlWith(half, half)) as Uint8Array[];
    expect(xml.map((b) => b.length)).toEqual([half, half]);
    const next = parseOpenStep(nextWith(half, half)) as Uint8Array[];
    expect(next.map((b) => b.length)).toEqual([half, half]);
  });

  it.each([
    ['XML, one value', () => parseXmlPlistText(xmlWith(MAX_DATA_BYTES + 1))],
    ['XML, in total', () => parseXmlPlistText(xmlWith(MAX_DATA_BYTES / 2, MAX_DATA_BYTES / 2 + 1))],
    ['XML, 50 MB', () => parseXmlPlistText(xmlWith(50e6))],
    ['NeXT text, one value', () => parseOpenStep(nextWith(MAX_DATA_BYTES + 1))],
    [
      'NeXT text, in total',
      () => parseOpenStep(nextWith(MAX_DATA_BYTES / 2, MAX_DATA_BYTES / 2 + 1)),
    ],
  ])('refuses more (%s) with a syntax error at the value', (_, read) => {
    expect(read).toThrow(PlistSyntaxError);
    expect(read).toThrow(
      /binary <data> values over 1048576 bytes in total: a treewall document keeps at most 1 MiB/,
    );
  });

  it('a document with a big <data> in a rule is refused as a whole, with the line', () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>SentryDocument_filterTable</key><dict><key>children</key><array>
<dict><key>propertyName</key><string>Any</string><key>filterActionName</key><string>Pass</string>
<key>blob</key><data>${Buffer.alloc(2 * MAX_DATA_BYTES).toString('base64')}</data></dict>
</array></dict></dict></plist>`;
    expect(() => parseDocumentText(doc)).toThrow(/binary <data>.*\(line 4, column \d+\)/);
  });
});
