// Runtime: vitest under plain Node (shared/'s tests may use Node: it reads and writes files).
// The compiler's golden files: every case of shared/compiler/golden/cases.ts compiles to exactly
// the JSON and text checked in beside it. A reviewer reads the diff of the *ruleset*.
// `UPDATE_GOLDEN=1 npx vitest run shared/compiler/golden.test.ts` rewrites the files.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GOLDEN_CASES } from './golden/cases.ts';
import { compile } from './index.ts';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('compiler golden files', () => {
  for (const c of GOLDEN_CASES) {
    it(`${c.name}: ${c.pins}`, () => {
      const result = compile(c.doc, c.options);
      if (!result.ok) throw new Error(`golden case refused: ${JSON.stringify(result.problems)}`);
      const json = `${JSON.stringify(result.nft, null, 2)}\n`;
      const jsonPath = join(GOLDEN_DIR, `${c.name}.json`);
      const textPath = join(GOLDEN_DIR, `${c.name}.nft`);
      if (update || !existsSync(jsonPath) || !existsSync(textPath)) {
        if (!update) throw new Error(`missing golden file for ${c.name}: run with UPDATE_GOLDEN=1`);
        writeFileSync(jsonPath, json);
        writeFileSync(textPath, result.text);
        return;
      }
      expect(result.nft).toEqual(JSON.parse(readFileSync(jsonPath, 'utf8')));
      expect(result.text).toBe(readFileSync(textPath, 'utf8'));
    });
  }
});
