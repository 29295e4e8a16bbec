// The netlink reader answers requests in order. When one answer comes too late, that reader must
// go: otherwise its late answer is taken as the answer to the next request (a stale counter
// reading would look like a counter reset to the tracker and be folded in twice).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CounterReader } from './counter-reader.ts';
import type { Nft } from './nft.ts';

const dir = mkdtempSync(join(tmpdir(), 'tw-reader-timeout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in for nft-counters.py: answers in order; the first process started holds its first
// answer until the test releases it (too late: after the request timed out), every later process
// answers at once. Each answer's `generation` says which process answered which request: 1, 2, ...
// from the first, 101, 102, ... from later ones.
const fake = join(dir, 'fake-reader.js');
writeFileSync(
  fake,
  `const fs = require('fs');
const marker = process.env.TW_FAKE_DIR + '/started';
const release = process.env.TW_FAKE_DIR + '/release';
const released = () =>
  new Promise((r) => {
    const poll = () => (fs.existsSync(release) ? r() : setTimeout(poll, 20));
    poll();
  });
const first = !fs.existsSync(marker);
fs.writeFileSync(marker, '');
let n = 0;
let chain = Promise.resolve();
require('readline').createInterface({ input: process.stdin }).on('line', () => {
  n += 1;
  const reply = JSON.stringify({ ok: true, generation: (first ? 0 : 100) + n, table: true });
  const late = first && n === 1;
  chain = chain.then(() => (late ? released() : undefined)).then(() => {
    process.stdout.write(reply + '\\n');
  });
});
`,
);

describe('netlink counter reader, an answer that comes too late', () => {
  it('restarts the reader instead of giving the late answer to the next request', async () => {
    process.env.TW_FAKE_DIR = dir;
    const nft = { table: 'treewall' } as unknown as Nft;
    // 2 s: ample for a node process to start and answer on a loaded machine.
    const reader = new CounterReader(nft, [process.execPath, fake], true, 2000);
    try {
      // The first request times out: no answer.
      expect(await reader.generation()).toBeUndefined();
      // The next one is answered by a new reader, with its own answer (not the first's, late).
      expect(await reader.generation()).toEqual({ generation: 101, table: true });
      // The late answer comes now (if its reader still runs); later requests still pair with
      // their own answers.
      writeFileSync(join(dir, 'release'), '');
      await new Promise((r) => setTimeout(r, 300));
      expect(await reader.generation()).toEqual({ generation: 102, table: true });
    } finally {
      reader.stop();
    }
  });
});
