// The layering lint, tested by planting: each forbidden import, in a file placed in the folder it
// is forbidden from, must be an error of treewall/layering (or no-restricted-globals); the allowed
// ones must pass. Also: the renderer has no runtime import cycle, and a planted one is caught.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { findCycle, repoRoot } from './layering.js';

const eslint = new ESLint({ cwd: repoRoot });

/** Lint `code` as if it were the file `rel`; the rule ids of the errors. */
async function errors(rel: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, rel) });
  return (result?.messages ?? [])
    .filter((m) => m.severity === 2)
    .map((m) => `${m.ruleId}: ${m.message}`);
}

const forbidden: [string, string, string][] = [
  // [where, code, the rule that must object]
  [
    'shared/model/planted.ts',
    "import { gzipSync } from 'zlib';\nexport const z = gzipSync;",
    'treewall/layering',
  ],
  [
    'shared/model/planted.ts',
    "import { Worker } from 'node:worker_threads';\nexport const w = Worker;",
    'treewall/layering',
  ],
  [
    'shared/model/planted.ts',
    "export const load = () => import('./types.ts');",
    'treewall/layering',
  ],
  [
    'shared/model/planted.ts',
    "import { useState } from 'react';\nexport const u = useState;",
    'treewall/layering',
  ],
  [
    'shared/model/planted.ts',
    "import { Backend } from '../../electron/common/backend.ts';\nexport type B = Backend;",
    'treewall/layering',
  ],
  ['shared/model/planted.ts', "import '../../renderer/app.tsx';", 'treewall/layering'],
  ['shared/model/planted.ts', "import './no-such-file.ts';", 'treewall/layering'],
  ['shared/model/planted.ts', 'export const home = process.env.HOME;', 'no-restricted-globals'],
  [
    'renderer/planted.ts',
    "import https from 'https';\nexport const h = https;",
    'treewall/layering',
  ],
  [
    'renderer/planted.ts',
    "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;",
    'treewall/layering',
  ],
  [
    'renderer/planted.ts',
    "import * as b from '../electron/common/backend.ts';\nexport const x = b;",
    'treewall/layering',
  ],
  [
    'renderer/planted.ts',
    "export type T = import('../electron/host/server.ts').ServeOptions;",
    'treewall/layering',
  ],
  ['renderer/planted.ts', 'export const home = process.env.HOME;', 'no-restricted-globals'],
  ['renderer/planted.ts', "export const bytes = Buffer.from('x');", 'no-restricted-globals'],
  ['electron/helper/planted.ts', "import '../main/index.ts';", 'treewall/layering'],
  // The raw string names helper/, but it resolves to main/: resolved paths are what count.
  ['electron/helper/planted.ts', "import '../helper/../main/index.ts';", 'treewall/layering'],
  [
    'electron/helper/planted.ts',
    "import { app } from 'electron';\nexport const a = app;",
    'treewall/layering',
  ],
  ['electron/helper/planted.ts', "import '../../renderer/app.tsx';", 'treewall/layering'],
  ['electron/helper/planted.ts', "import '../host/server.ts';", 'treewall/layering'],
  ['electron/helper/planted.ts', "export * from '../common/backend.ts';", 'treewall/layering'],
  ['electron/host/planted.ts', "import '../../renderer/app.tsx';", 'treewall/layering'],
  [
    'electron/common/planted.ts',
    "import { app } from 'electron';\nexport const a = app;",
    'treewall/layering',
  ],
  [
    'electron/cli/planted.ts',
    "import { app } from 'electron';\nexport const a = app;",
    'treewall/layering',
  ],
  ['electron/main/planted.ts', "import '../../renderer/app.tsx';", 'treewall/layering'],
  ['electron/main/planted.ts', "import '../helper/service.ts';", 'treewall/layering'],
  [
    'electron/preload/planted.ts',
    "import fs from 'node:fs';\nexport const f = fs;",
    'treewall/layering',
  ],
  ['e2e/planted.ts', "import '../renderer/app.tsx';", 'treewall/layering'],
];

describe('every planted forbidden import fails lint', () => {
  it.each(forbidden)('%s: %s', async (where, code, rule) => {
    const found = await errors(where, code);
    expect(
      found.some((e) => e.startsWith(rule + ':')),
      found.join('\n') || 'no error',
    ).toBe(true);
  });
});

const allowed: [string, string][] = [
  [
    'shared/compiler/planted.ts',
    "import type { Rule } from '../model/types.ts';\nexport type R = Rule;",
  ],
  ['shared/ipc/planted.ts', "import { z } from 'zod';\nexport const s = z.string();"],
  // Node in shared/'s tests: the compiler's golden test may live beside the compiler.
  [
    'shared/compiler/planted.test.ts',
    "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;",
  ],
  [
    'renderer/planted.ts',
    "import { create } from 'zustand';\nimport type { Rule } from '../shared/model/types.ts';\nexport const c = create;\nexport type R = Rule;",
  ],
  [
    'electron/helper/planted.ts',
    "import { spawn } from 'node:child_process';\nimport type { Rule } from '../../shared/model/types.ts';\nexport const s = spawn;\nexport type R = Rule;",
  ],
  ['electron/main/planted.ts', "import { app } from 'electron';\nexport const a = app;"],
];

describe('allowed imports pass', () => {
  it.each(allowed)('%s', async (where, code) => {
    expect(await errors(where, code)).toEqual([]);
  });
});

describe('import cycles', () => {
  const dir = path.join(repoRoot, 'renderer', `.planted-cycle-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the renderer has none (runtime imports)', () => {
    const renderer = path.join(repoRoot, 'renderer');
    const files = readdirSync(renderer, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.includes('.planted-'))
      .map((f) => path.join(renderer, f));
    expect(files.length).toBeGreaterThan(20);
    const cycles = files
      .map((f) => findCycle(f, (dep) => dep.startsWith(path.join(repoRoot, 'renderer') + path.sep)))
      .filter((c) => c !== null)
      .map((c) => c.map((f) => path.relative(repoRoot, f)).join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('a planted cycle is a lint error; a type-only one is not', async () => {
    mkdirSync(dir, { recursive: true });
    const a = path.join(dir, 'a.ts');
    writeFileSync(a, "import { b } from './b.ts';\nexport const a = () => b;\n");
    writeFileSync(
      path.join(dir, 'b.ts'),
      "import { a } from './a.ts';\nexport const b = () => a;\n",
    );
    const withCycle = await errors(
      path.relative(repoRoot, a),
      "import { b } from './b.ts';\nexport const a = () => b;\n",
    );
    expect(withCycle.some((e) => e.startsWith('treewall/no-cycle:'))).toBe(true);

    writeFileSync(
      path.join(dir, 'b.ts'),
      "import type { A } from './a.ts';\nexport const b = (x: A) => x;\n",
    );
    const typeOnly = await errors(
      path.relative(repoRoot, a),
      "import { b } from './b.ts';\nexport type A = number;\nexport const a = () => b;\n",
    );
    expect(typeOnly).toEqual([]);
  });
});
