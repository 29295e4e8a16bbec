// Runtime: Node (build tool). Three builds from one file, chosen by --mode:
//   (default)          the renderer: renderer/index.html -> dist/renderer (served by `treewall
//                      serve`, loaded from file:// by Electron, hence the relative base)
//   electron-main      electron/main/index.ts -> dist/electron/main/index.js (ESM, deps bundled)
//   electron-preload   electron/preload/index.ts -> dist/electron/preload/index.cjs (CommonJS:
//                      a sandboxed preload cannot load ES modules or anything but `electron`)
//   cli                electron/cli/entry.ts -> dist/cli/treewall.js: the CLI and the helper as one
//                      Node bundle for packages (the source tree runs them through tsx instead)
// `npm run build` runs all three.

import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const nodeExternals = ['electron', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

function electronBuild(
  entry: string,
  outDir: string,
  format: 'es' | 'cjs',
  fileName = format === 'cjs' ? 'index.cjs' : 'index.js',
): UserConfig {
  return {
    root,
    publicDir: false,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      sourcemap: true,
      lib: {
        entry,
        formats: [format],
        fileName: () => fileName,
      },
      // The CLI builds the renderer on demand through vite, which a package does not need.
      rollupOptions: { external: [...nodeExternals, 'vite'] },
    },
  };
}

export default defineConfig(({ mode }): UserConfig => {
  if (mode === 'electron-main') {
    return electronBuild('electron/main/index.ts', 'dist/electron/main', 'es');
  }
  if (mode === 'cli') {
    return electronBuild('electron/cli/entry.ts', 'dist/cli', 'es', 'treewall.js');
  }
  if (mode === 'electron-preload') {
    return electronBuild('electron/preload/index.ts', 'dist/electron/preload', 'cjs');
  }
  return {
    root: `${root}renderer`,
    base: './',
    publicDir: false,
    plugins: [react()],
    build: {
      outDir: `${root}dist/renderer`,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      // One bundle for a desktop app loaded from disk or loopback: size warnings are noise.
      chunkSizeWarningLimit: 4096,
    },
  };
});
