// Runtime: Node (ESLint). A local plugin with the two rules that keep the layering of
// docs/development.md ("What each folder may import") true:
//
//   treewall/layering  every import of a file (static, `export ... from`, dynamic `import()`,
//                      `import('x').T` types, `require`) is RESOLVED first, then checked against
//                      the allow-list of the file's folder: folders it may reach, packages it may
//                      use, whether Node built-ins and `electron` are allowed, whether dynamic
//                      import() is. Matching resolved paths (not the raw string) is what makes
//                      `'../main/index.ts'` from electron/helper an error.
//   treewall/no-cycle  no import cycle through the file (runtime imports; `import type` is
//                      erased by the compiler and cannot cycle at run time).
//
// Why a plugin of our own and not eslint-plugin-import's `import/no-restricted-paths` and
// `import/no-cycle`: that plugin and a TypeScript resolver are not installed, and the shared
// node_modules cannot be changed by one engineer. Our imports are simple enough to resolve by
// hand: relative paths with explicit `.ts`/`.tsx` extensions (tsconfig has no `paths`), package
// names, and `node:` built-ins. If eslint-plugin-import is ever added, these rules map onto its
// zones one to one.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const builtins = new Set(builtinModules);

/** 'node:fs' / 'fs' / 'fs/promises' -> true. */
const isBuiltin = (spec) =>
  spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]);

/** '@scope/name/sub' -> '@scope/name'; 'name/sub' -> 'name'. */
const packageName = (spec) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];

const CANDIDATE_SUFFIXES = [
  '',
  '.ts',
  '.tsx',
  '.js',
  '.mjs',
  '/index.ts',
  '/index.tsx',
  '/index.js',
];

/** A relative specifier -> the file it names (absolute), or null when nothing is there. */
export function resolveRelative(fromFile, spec) {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const suffix of CANDIDATE_SUFFIXES) {
    const candidate = base + suffix;
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Repository-relative path with forward slashes. */
const relative = (file) => path.relative(repoRoot, file).split(path.sep).join('/');

/** `dir` allows `dir/...`; a path ending in an extension allows exactly that file. */
const inside = (rel, allowed) =>
  /\.[cm]?[jt]sx?$/.test(allowed)
    ? rel === allowed
    : rel === allowed || rel.startsWith(allowed + '/');

/** Every module specifier in a program, with the node to report on. */
function collectSpecifiers(context, onSpecifier) {
  const literal = (node, kind, source) => {
    if (source && source.type === 'Literal' && typeof source.value === 'string') {
      onSpecifier(node, source.value, kind);
    } else if (kind === 'dynamic') {
      onSpecifier(node, null, kind);
    }
  };
  return {
    ImportDeclaration: (node) =>
      literal(node, node.importKind === 'type' ? 'type' : 'static', node.source),
    ExportNamedDeclaration: (node) =>
      node.source && literal(node, node.exportKind === 'type' ? 'type' : 'static', node.source),
    ExportAllDeclaration: (node) =>
      literal(node, node.exportKind === 'type' ? 'type' : 'static', node.source),
    ImportExpression: (node) => literal(node, 'dynamic', node.source),
    TSImportType: (node) => {
      // `import('x').T`: newer typescript-eslint has `source`; older ones a literal type `argument`.
      if (node.source) return literal(node, 'type', node.source);
      const arg = node.argument;
      literal(node, 'type', arg && arg.type === 'TSLiteralType' ? arg.literal : arg);
    },
    CallExpression: (node) => {
      if (node.callee.type === 'Identifier' && node.callee.name === 'require') {
        literal(node, 'static', node.arguments[0]);
      }
    },
  };
}

const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'Resolve each import, then allow only what the folder may use.' },
    schema: [
      {
        type: 'object',
        properties: {
          layer: { type: 'string' },
          folders: { type: 'array', items: { type: 'string' } },
          packages: { type: 'array', items: { type: 'string' } },
          node: { type: 'boolean' },
          electron: { type: 'boolean' },
          dynamicImport: { type: 'boolean' },
          why: { type: 'string' },
        },
        required: ['layer', 'folders'],
        additionalProperties: false,
      },
    ],
  },
  create(context) {
    const options = context.options[0];
    const filename = context.filename;
    const why = options.why ? ` ${options.why}` : '';
    const report = (node, message) =>
      context.report({ node, message: `${options.layer}: ${message}.${why}` });

    return collectSpecifiers(context, (node, spec, kind) => {
      if (spec === null) {
        if (options.dynamicImport === false) report(node, 'dynamic import() is not allowed here');
        return;
      }
      if (kind === 'dynamic' && options.dynamicImport === false) {
        report(node, `dynamic import('${spec}') is not allowed here`);
        return;
      }
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const resolved = resolveRelative(filename, spec);
        if (resolved === null) {
          report(node, `'${spec}' does not resolve to a file`);
          return;
        }
        const rel = relative(resolved);
        if (!options.folders.some((allowed) => inside(rel, allowed))) {
          report(
            node,
            `may not import ${rel} (resolved from '${spec}'); allowed: ${options.folders.join(', ')}`,
          );
        }
        return;
      }
      if (spec === 'electron' || spec.startsWith('electron/')) {
        if (!options.electron) report(node, `may not import '${spec}'`);
        return;
      }
      if (isBuiltin(spec)) {
        if (!options.node) report(node, `may not import the Node built-in '${spec}'`);
        return;
      }
      const pkg = packageName(spec);
      if (!(options.packages ?? []).includes(pkg)) {
        report(
          node,
          `may not import the package '${pkg}'; allowed: ${(options.packages ?? []).join(', ') || 'none'}`,
        );
      }
    });
  },
};

// ---- no-cycle: a small import graph read from disk, cached per lint run (per file mtime).

const IMPORT_RE =
  /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;
const graphCache = new Map();

/** Runtime edges of one file: relative imports that are not `import type` / `export type`. */
export function runtimeImports(file) {
  let mtime;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = graphCache.get(file);
  if (cached && cached.mtime === mtime) return cached.deps;
  const text = readFileSync(file, 'utf8');
  const deps = [];
  for (const match of text.matchAll(IMPORT_RE)) {
    const typeOnly = match[1] !== undefined;
    const spec = match[2] ?? match[3];
    if (typeOnly || !spec || !spec.startsWith('.')) continue;
    const resolved = resolveRelative(file, spec);
    if (resolved) deps.push(resolved);
  }
  graphCache.set(file, { mtime, deps });
  return deps;
}

/** A path of files from `start` back to `start`, or null. */
export function findCycle(start, within) {
  const seen = new Set();
  const stack = [];
  const visit = (file) => {
    for (const dep of runtimeImports(file)) {
      if (within && !within(dep)) continue;
      if (dep === start) return [...stack, file, dep];
      if (seen.has(dep)) continue;
      seen.add(dep);
      stack.push(file);
      const found = visit(dep);
      stack.pop();
      if (found) return found;
    }
    return null;
  };
  return visit(start);
}

const noCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'No runtime import cycle through this file.' },
    schema: [
      {
        type: 'object',
        properties: { within: { type: 'string' } },
        additionalProperties: false,
      },
    ],
  },
  create(context) {
    const within = context.options[0]?.within;
    const filter = within ? (file) => inside(relative(file), within) : undefined;
    return {
      'Program:exit'(node) {
        const file = context.filename;
        if (!existsSync(file)) return;
        const cycle = findCycle(file, filter);
        if (cycle) {
          context.report({
            node,
            message: `import cycle: ${cycle.map(relative).join(' -> ')}`,
          });
        }
      },
    };
  },
};

export default { rules: { layering, 'no-cycle': noCycle } };
