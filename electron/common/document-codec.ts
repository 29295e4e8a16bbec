// Runtime: plain Node. The backend's DocumentCodec over document-files.ts: XML documents
// (IPNetSentryX's too) and NeXT text documents, saved atomically, and the factory default.
// The app calls NeXT text 'next'; document-files calls it 'openstep'.

import {
  readDocumentFile,
  readDocumentFileWithFormat,
  writeDocumentFileAtomic,
} from './document-files.ts';
import type { DocumentCodec } from './backend.ts';

export function createDocumentCodec(options: { defaultDocument: string }): DocumentCodec {
  return {
    async read(file) {
      const { document, format } = await readDocumentFileWithFormat(file);
      return { document, format: format === 'openstep' ? 'next' : 'xml' };
    },
    writeAtomic: (file, document, format) =>
      writeDocumentFileAtomic(file, document, { format: format === 'next' ? 'openstep' : 'xml' }),
    factoryDefault: () => readDocumentFile(options.defaultDocument),
  };
}
