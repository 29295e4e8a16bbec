// Runtime: plain Node, test only. Saves a document again and again so that
// document-files.test.ts can kill it with SIGKILL mid-save. argv: FILE MODE, where MODE is
// `pause` (stop for good between the synced write and the rename, after printing `paused`) or
// `loop` (alternate two documents forever, printing `saved N` after each save).

import type { FirewallDocument } from '../../shared/model/types.ts';
import { writeDocumentFileAtomic } from './document-files.ts';
import { bigDocument } from './document-files.fixtures.ts';

const [file, mode] = process.argv.slice(2);
if (!file) throw new Error('usage: crash-child FILE pause|loop');

const docs: FirewallDocument[] = [bigDocument('new-a'), bigDocument('new-b')];
if (mode === 'pause') {
  await writeDocumentFileAtomic(file, docs[0]!, {
    beforeRename: () => {
      process.stdout.write('paused\n');
      return new Promise<void>(() => undefined);
    },
  });
} else {
  for (let i = 0; ; i++) {
    await writeDocumentFileAtomic(file, docs[i % 2]!);
    process.stdout.write(`saved ${i}\n`);
  }
}
