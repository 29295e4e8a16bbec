// Runtime: Node (plain, never electron). The `treewall` command line: a dispatcher over one
// module per subcommand in ./commands/. Exit codes: 0 ok, 2 bad input, 3 helper unreachable,
// 1 anything else.

import { guardOutput } from './safe-output.ts';

export interface CommandModule {
  /** One line for `treewall --help`. */
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<CommandModule>> = {
  check: () => import('./commands/check.ts'),
  compile: () => import('./commands/compile.ts'),
  convert: () => import('./commands/convert.ts'),
  simulate: () => import('./commands/simulate.ts'),
  helper: () => import('./commands/helper.ts'),
  'helper-bridge': () => import('./commands/helper-bridge.js'),
  apply: () => import('./commands/apply.ts'),
  confirm: () => import('./commands/confirm.ts'),
  revert: () => import('./commands/revert.ts'),
  status: () => import('./commands/status.ts'),
  'show-active': () => import('./commands/show-active.ts'),
  stop: () => import('./commands/stop.ts'),
  counters: () => import('./commands/counters.ts'),
  triggered: () => import('./commands/triggered.ts'),
  log: () => import('./commands/log.ts'),
  fleet: () => import('./commands/fleet.ts'),
  serve: () => import('./commands/serve.ts'),
  electron: () => import('./commands/electron.ts'),
};

/** Every subcommand's name (resources/treewall, the deb's /usr/bin/treewall, lists them too). */
export const COMMAND_NAMES: readonly string[] = Object.keys(commands);

async function load(name: string): Promise<CommandModule | undefined> {
  const loader = commands[name];
  if (!loader) return undefined;
  try {
    return await loader();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

async function help(): Promise<string> {
  const lines = ['usage: treewall <command> [options]', '', 'commands:'];
  for (const name of Object.keys(commands)) {
    const mod = await load(name);
    if (mod) lines.push(`  ${name.padEnd(12)} ${mod.summary}`);
  }
  lines.push('', 'Run `treewall <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // Text from documents and from the kernel reaches the terminal escaped (control characters).
  guardOutput();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? 0 : 2;
  }
  const mod = await load(name);
  if (!mod) {
    console.error(`treewall: unknown command '${name}'\n\n${await help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(mod.usage);
    return 0;
  }
  try {
    return await mod.run(rest);
  } catch (error) {
    console.error(`treewall ${name}: ${(error as Error).message}`);
    return 1;
  }
}
