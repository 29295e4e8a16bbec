#!/usr/bin/env node
// The `treewall` command. Runs the TypeScript CLI through tsx's loader so `npm ci` is the only
// install step (no build needed for the CLI, the helper or the browser host).
import { register } from 'tsx/esm/api';

register();
if (process.argv[2] === 'helper-bridge' && !process.argv.includes('--help')) {
  // The fleet starts it over ssh on every connection: skip the dispatcher and its imports.
  const bridge = await import('../electron/cli/commands/helper-bridge.ts');
  process.exitCode = await bridge.run(process.argv.slice(3));
} else {
  const { main } = await import('../electron/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
