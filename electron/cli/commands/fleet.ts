// Runtime: plain Node (CLI). `treewall fleet list|add|remove`: edit the fleet file (the hosts
// treewall reaches over ssh; docs/fleet.md). Nothing here talks to a host: `treewall status
// --host NAME` checks one.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  emptyFleet,
  fleetGroups,
  formatFleet,
  validateFleet,
  type FleetFile,
  type FleetHost,
} from '../../../shared/fleet/fleet.ts';
import { writeFileAtomic } from '../../common/document-files.ts';
import { FleetFileError, fleetFilePath, loadFleet } from '../fleet.ts';
import { EXIT, printJson, UsageError } from '../support.ts';

export const summary = 'List, add or remove the hosts of the fleet file (treewall over ssh)';

export const usage = `usage: treewall fleet list [--fleet FILE] [--json]
       treewall fleet add NAME [ADDRESS] [--group GROUP]... [--socket PATH] [--fleet FILE]
       treewall fleet remove NAME [--fleet FILE]

ADDRESS is [user@]host[:port] or an alias of your ~/.ssh/config (default: NAME). The file is
--fleet FILE, else $TREEWALL_FLEET, else ./fleet.json, else ~/.config/treewall/fleet.json (made
when missing). Then \`treewall status --host NAME\` checks the host. See docs/fleet.md.

exit codes: 0 ok, 2 bad input (names, addresses, the file), 1 other`;

interface Args {
  positional: string[];
  groups: string[];
  fleet: string | undefined;
  socket: string | undefined;
  json: boolean;
}

function parse(args: string[]): Args {
  const out: Args = {
    positional: [],
    groups: [],
    fleet: undefined,
    socket: undefined,
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = m?.[1];
    if (name === 'json') {
      out.json = true;
      continue;
    }
    if (name !== 'group' && name !== 'fleet' && name !== 'socket') {
      throw new UsageError(`unknown option ${arg}`);
    }
    const value = m?.[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (name === 'group') out.groups.push(value);
    else if (name === 'fleet') out.fleet = value;
    else out.socket = value;
  }
  return out;
}

async function save(file: string, fleet: FleetFile): Promise<void> {
  const checked = validateFleet(fleet);
  if ('problems' in checked) {
    throw new UsageError(checked.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, formatFleet(checked.fleet));
}

export async function run(args: string[]): Promise<number> {
  try {
    const a = parse(args);
    const [verb, name, address, ...rest] = a.positional;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const file = fleetFilePath(a.fleet);
    const fleet = existsSync(file) ? await loadFleet(file) : emptyFleet();
    switch (verb) {
      case 'list': {
        if (name !== undefined) throw new UsageError(`unexpected argument '${name}'`);
        if (a.json) printJson(fleet);
        else if (fleet.hosts.length === 0) console.log(`no hosts in ${file}`);
        else {
          const w = Math.max(4, ...fleet.hosts.map((h) => h.name.length)) + 2;
          for (const h of fleet.hosts) {
            console.log(h.name.padEnd(w) + (h.address ?? h.name).padEnd(32) + h.groups.join(','));
          }
          console.log(`groups: ${fleetGroups(fleet).join(', ')}  (${file})`);
        }
        return EXIT.ok;
      }
      case 'add': {
        if (!name) throw new UsageError('fleet add needs a NAME');
        if (fleet.hosts.some((h) => h.name === name)) {
          throw new UsageError(`host '${name}' is already in ${file} (remove it first)`);
        }
        const host: FleetHost = {
          name,
          ...(address === undefined ? {} : { address }),
          groups: a.groups,
          ...(a.socket === undefined ? {} : { socket: a.socket }),
        };
        await save(file, { ...fleet, hosts: [...fleet.hosts, host] });
        console.log(
          `added ${name} (${address ?? name}) to ${file}; check it: treewall status --host ${name}`,
        );
        return EXIT.ok;
      }
      case 'remove': {
        if (!name || address !== undefined) throw new UsageError('fleet remove needs one NAME');
        if (!fleet.hosts.some((h) => h.name === name)) {
          throw new UsageError(`host '${name}' is not in ${file}`);
        }
        const canaries = Object.fromEntries(
          Object.entries(fleet.canaries).filter(([, canary]) => canary !== name),
        );
        await save(file, { ...fleet, hosts: fleet.hosts.filter((h) => h.name !== name), canaries });
        console.log(`removed ${name} from ${file}`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(verb ? `unknown subcommand '${verb}'` : 'give list, add or remove');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`treewall fleet: ${error.message}\n\n${usage}`);
      return EXIT.badInput;
    }
    console.error(`treewall fleet: ${(error as Error).message}`);
    return error instanceof FleetFileError ? EXIT.badInput : EXIT.other;
  }
}
