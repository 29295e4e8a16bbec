import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentToOpenStep, documentToXml } from '../../shared/plist/document.ts';
import { PlistSyntaxError } from '../../shared/plist/openstep.ts';
import fc from 'fast-check';
import {
  decodeText,
  readDocumentFile,
  readDocumentFileWithFormat,
  writeDocumentFileAtomic,
} from './document-files.ts';
import { bigDocument } from './document-files.fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'document-files.crash-child.ts');

let folder: string;
beforeEach(async () => {
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'tw-docfiles-'));
});
afterEach(async () => {
  await fs.rm(folder, { recursive: true, force: true });
});

const temporaries = async (): Promise<string[]> =>
  (await fs.readdir(folder)).filter((name) => name.endsWith('.tmp'));

describe('decodeText', () => {
  it('reads any bytes exactly as UTF-8 decoding does (ASCII, non-ASCII, malformed, BOM)', () => {
    for (const text of ['', 'plain ascii <key>', 'é ü 😀', '\uFEFF<plist/>']) {
      expect(decodeText(Buffer.from(text, 'utf8'))).toBe(text);
    }
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ max: 127 })),
        (bytes) => {
          const buffer = Buffer.from(bytes);
          expect(decodeText(buffer)).toBe(buffer.toString('utf8'));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('readDocumentFile', () => {
  it('reads XML and NeXT text documents and says which', async () => {
    const doc = bigDocument('r', 3);
    await fs.writeFile(path.join(folder, 'a.treewall'), documentToXml(doc));
    await fs.writeFile(path.join(folder, 'b.txt'), documentToOpenStep(doc));
    expect(await readDocumentFileWithFormat(path.join(folder, 'a.treewall'))).toEqual({
      document: doc,
      format: 'xml',
    });
    expect(await readDocumentFileWithFormat(path.join(folder, 'b.txt'))).toEqual({
      document: doc,
      format: 'openstep',
    });
  });

  it('passes on the codec error with its position', async () => {
    await fs.writeFile(path.join(folder, 'bad.txt'), '(\n  { enabled = 1 }\n)');
    await expect(readDocumentFile(path.join(folder, 'bad.txt'))).rejects.toBeInstanceOf(
      PlistSyntaxError,
    );
  });
});

describe('writeDocumentFileAtomic', () => {
  it('writes a document that reads back equal, keeps the mode, follows a symbolic link', async () => {
    const file = path.join(folder, 'doc.treewall');
    await writeDocumentFileAtomic(file, bigDocument('one', 5));
    expect(await readDocumentFile(file)).toEqual(bigDocument('one', 5));
    await fs.chmod(file, 0o600);
    await writeDocumentFileAtomic(file, bigDocument('two', 5));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const link = path.join(folder, 'link.treewall');
    await fs.symlink(file, link);
    await writeDocumentFileAtomic(link, bigDocument('three', 2), { format: 'openstep' });
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readDocumentFile(file)).toEqual(bigDocument('three', 2));
    expect(await temporaries()).toEqual([]);
  });

  it('leaves the old file and no temporary file when the save fails before the rename', async () => {
    const file = path.join(folder, 'doc.treewall');
    await writeDocumentFileAtomic(file, bigDocument('old', 10));
    const before = await fs.readFile(file, 'utf8');
    await expect(
      writeDocumentFileAtomic(file, bigDocument('new', 10), {
        beforeRename: () => {
          throw new Error('disk on fire');
        },
      }),
    ).rejects.toThrow('disk on fire');
    expect(await fs.readFile(file, 'utf8')).toBe(before);
    expect(await temporaries()).toEqual([]);
  });

  it('never touches the disk when the document cannot be serialized', async () => {
    const file = path.join(folder, 'doc.treewall');
    await writeDocumentFileAtomic(file, bigDocument('old', 2));
    const before = await fs.readFile(file, 'utf8');
    const bad = bigDocument('bad', 1);
    bad.rules[0]!.name = 'nul \u0000';
    await expect(writeDocumentFileAtomic(file, bad)).rejects.toThrow(/U\+0000/);
    expect(await fs.readFile(file, 'utf8')).toBe(before);
    expect(await temporaries()).toEqual([]);
  });

  function run(
    file: string,
    mode: 'pause' | 'loop',
    until: (line: string) => boolean,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, file, mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let buffered = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      proc.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        if (lines.some(until)) proc.kill('SIGKILL');
      });
      proc.on('exit', (code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`)),
      );
    });
  }

  it('a process killed between write and rename leaves the old file intact', async () => {
    const file = path.join(folder, 'doc.treewall');
    await writeDocumentFileAtomic(file, bigDocument('old'));
    const before = await fs.readFile(file, 'utf8');
    await run(file, 'pause', (line) => line === 'paused');
    expect(await fs.readFile(file, 'utf8')).toBe(before);
    // The killed save's temporary file is left behind, beside, never in place of, the document,
    // and the next save clears it away.
    expect((await temporaries()).length).toBe(1);
    await writeDocumentFileAtomic(file, bigDocument('next', 3));
    expect(await temporaries()).toEqual([]);
  });

  it('a process killed at arbitrary moments of repeated saves always leaves a whole document', async () => {
    const file = path.join(folder, 'doc.treewall');
    await writeDocumentFileAtomic(file, bigDocument('old'));
    const whole = new Set(
      [bigDocument('old'), bigDocument('new-a'), bigDocument('new-b')].map(documentToXml),
    );
    for (let round = 0; round < 4; round++) {
      // Kill after a varying number of completed saves, so the kill lands at varying points of
      // the next one (the write of ~2 MB, the fsync, the rename).
      const after = round % 3;
      await run(file, 'loop', (line) => line === `saved ${after}`);
      const text = await fs.readFile(file, 'utf8');
      expect(whole.has(text)).toBe(true);
      expect((await readDocumentFile(file)).rules).toHaveLength(4000);
    }
  });
});
