// Runtime: Node script (`npm run gen:default`). Writes resources/default.treewall from
// resources/default-document.ts; with `--check`, only reports (exit 1) when the committed file
// differs from what the source builds. Importing it runs nothing (the default-document test
// calls `generateDefault(['--check'])`).

import { promises as fs } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../electron/common/document-files.ts';
import { documentToXml } from '../shared/plist/document.ts';
import { buildDefaultDocument } from './default-document.ts';

export const DEFAULT_DOCUMENT_FILE = fileURLToPath(new URL('./default.treewall', import.meta.url));

/** Returns the exit code: 0 written or up to date, 1 out of date (with `--check`). */
export async function generateDefault(args: readonly string[]): Promise<number> {
  const xml = documentToXml(buildDefaultDocument());
  if (args.includes('--check')) {
    const current = await fs.readFile(DEFAULT_DOCUMENT_FILE, 'utf8').catch(() => '');
    if (current !== xml) {
      console.error(`${DEFAULT_DOCUMENT_FILE} is out of date: run npm run gen:default`);
      return 1;
    }
    console.log(`${DEFAULT_DOCUMENT_FILE} is up to date`);
    return 0;
  }
  await writeFileAtomic(DEFAULT_DOCUMENT_FILE, xml);
  console.log(`wrote ${DEFAULT_DOCUMENT_FILE}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await generateDefault(process.argv.slice(2));
}
