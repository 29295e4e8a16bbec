// Runtime: plain Node. Entry of the bundled CLI (dist/cli/treewall.js, `vite build --mode cli`)
// that packages install for the helper's systemd unit; the source tree uses bin/treewall.js.
// `helper-bridge` starts on every fleet ssh session: it is loaded alone (its own chunk, node:net
// only), without the rest of the CLI.
if (process.argv[2] === 'helper-bridge' && !process.argv.includes('--help')) {
  const bridge = await import('./commands/helper-bridge.js');
  process.exitCode = await bridge.run(process.argv.slice(3));
} else {
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
}

export {};
