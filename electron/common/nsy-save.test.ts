// Save As IPNetSentryX document: the backend's codec writes `.nsy` in the original's form and
// reads it back as the same document.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentFromXml } from '../../shared/plist/document.ts';
import { ORIGINAL_STYLE_DOCUMENT } from '../../shared/plist/test-original-document.ts';
import { formatForPath } from './backend.ts';
import { createDocumentCodec } from './document-codec.ts';

describe('Save As IPNetSentryX document (.nsy)', () => {
  it('writes SentryDocument_filterTable, opens again as the same document, and keeps the form', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'tw-nsy-'));
    try {
      const codec = createDocumentCodec({ defaultDocument: '' });
      const doc = documentFromXml(ORIGINAL_STYLE_DOCUMENT);
      const file = path.join(folder, 'Rules.nsy');
      expect(formatForPath(file)).toBe('nsy');
      expect(formatForPath('a.treewall')).toBe('xml');
      await codec.writeAtomic(file, doc, 'nsy');
      const text = await fs.readFile(file, 'utf8');
      expect(text).toContain('<key>SentryDocument_filterTable</key>');
      expect(text).toContain('<string>IPFragmentOffset</string>');
      expect(text).not.toContain('<key>filterTable</key>');
      const back = await codec.read(file);
      expect(back.format).toBe('nsy');
      expect(back.document.rules).toEqual(doc.rules);
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });
});
