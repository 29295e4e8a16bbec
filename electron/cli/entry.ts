// Runtime: plain Node. Entry of the bundled CLI (dist/cli/treewall.js, `vite build --mode cli`)
// that packages install for the helper's systemd unit; the source tree uses bin/treewall.js.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
