// Runtime: plain Node. The backend's DocumentCodec over the property-list codecs: XML documents
// (IPNetSentryX's too), NeXT text documents, and the factory default document.
// Invariant: a save is atomic (temporary file in the same folder, fsync, rename): a crash leaves
// the old file or the new one, never a broken one.

import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  documentToOpenStep,
  documentToXml,
  parseDocumentText,
  sniffFormat,
} from '../../shared/plist/document.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import type { DocumentCodec, DocumentFormat } from './backend.ts';

export function createDocumentCodec(options: { defaultDocument: string }): DocumentCodec {
  return {
    async read(file) {
      const text = await fs.readFile(file, 'utf8');
      return {
        document: parseDocumentText(text),
        format: sniffFormat(text) === 'xml' ? 'xml' : 'next',
      };
    },
    writeAtomic: (file, document, format) => writeDocumentAtomic(file, document, format),
    async factoryDefault() {
      return parseDocumentText(await fs.readFile(options.defaultDocument, 'utf8'));
    },
  };
}

async function writeDocumentAtomic(
  file: string,
  document: FirewallDocument,
  format: DocumentFormat,
): Promise<void> {
  const text = format === 'xml' ? documentToXml(document) : documentToOpenStep(document);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  const handle = await fs.open(temporary, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    await fs.rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(temporary, { force: true });
    throw error;
  }
}
