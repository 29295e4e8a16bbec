// Runtime: plain Node. The backend's DocumentCodec over document-files.ts: XML documents
// (IPNetSentryX's too) and NeXT text documents, saved atomically, and the factory default.
// The app calls NeXT text 'next'; document-files calls it 'openstep'.

import {
  looksLikeDocument,
  readDocumentFile,
  readDocumentFileWithFormat,
  writeDocumentFileAtomic,
} from './document-files.ts';
import type { DocumentCodec } from './backend.ts';

export function createDocumentCodec(options: { defaultDocument: string }): DocumentCodec {
  return {
    async read(file) {
      const { document, format, notes } = await readDocumentFileWithFormat(file);
      const withNotes = notes ? { notes } : {};
      if (format === 'openstep') return { document, format: 'next', ...withNotes };
      return { document, format: /\.nsy$/i.test(file) ? 'nsy' : 'xml', ...withNotes };
    },
    writeAtomic: (file, document, format) =>
      writeDocumentFileAtomic(file, document, {
        format: format === 'next' ? 'openstep' : format === 'nsy' ? 'nsy' : 'xml',
      }),
    factoryDefault: () => readDocumentFile(options.defaultDocument),
    isDocument: looksLikeDocument,
  };
}
