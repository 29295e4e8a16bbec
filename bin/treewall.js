#!/usr/bin/env node
// The `treewall` command. Runs the TypeScript CLI through tsx's loader so `npm ci` is the only
// install step (no build needed for the CLI, the helper or the browser host).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
