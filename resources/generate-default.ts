// Runtime: Node script (`npm run gen:default`). Writes resources/default.treewall from
// resources/default-document.ts; with `--check`, only reports (exit 1) when the committed file
// differs from what the source builds.

import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../electron/common/document-files.ts';
import { documentToXml } from '../shared/plist/document.ts';
import { buildDefaultDocument } from './default-document.ts';

const file = fileURLToPath(new URL('./default.treewall', import.meta.url));
const xml = documentToXml(buildDefaultDocument());

if (process.argv.includes('--check')) {
  const current = await fs.readFile(file, 'utf8').catch(() => '');
  if (current !== xml) {
    console.error(`${file} is out of date: run npm run gen:default`);
    process.exitCode = 1;
  } else {
    console.log(`${file} is up to date`);
  }
} else {
  await writeFileAtomic(file, xml);
  console.log(`wrote ${file}`);
}
