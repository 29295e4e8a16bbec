#!/usr/bin/env node
// The `treewall` command. Runs the TypeScript CLI through tsx's loader so `npm ci` is the only
// install step (no build needed for the CLI, the helper or the browser host).
// `helper-bridge` (what the fleet runs at the far end of every ssh session) is plain JavaScript
// and starts before tsx is even loaded: a bare `node` costs a fraction of the CPU.
if (process.argv[2] === 'helper-bridge' && !process.argv.includes('--help')) {
  const bridge = await import('../electron/cli/commands/helper-bridge.js');
  process.exitCode = await bridge.run(process.argv.slice(3));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../electron/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
