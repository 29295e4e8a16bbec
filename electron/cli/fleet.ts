// Runtime: plain Node (CLI). The fleet side of the helper's commands: `--host H` (repeatable),
// `--group G` (repeatable), `--fleet FILE`, `--ssh-config FILE` select hosts of a fleet file and
// run the command on each over ssh (electron/common/fleet-client.ts); the output is one row (or
// section) per host, or `{ok, hosts: [{host, ok, value | error, ms}]}` with --json.
// Invariant: exit 0 only when every selected host succeeded; 2 for bad input (fleet file,
// unknown host or group, options); 1 when any host failed. Nothing is started for a name that is
// not in the fleet or starts with `-`.

import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  emptyFleetState,
  FLEET_FILE_NAME,
  FLEET_STATE_FILE_NAME,
  FleetSelectionError,
  fleetStateSchema,
  parseFleet,
  type FleetFile,
  type FleetHost,
  type FleetState,
} from '../../shared/fleet/fleet.ts';
import type { HostOutcome } from '../../shared/fleet/results.ts';
import { writeFileAtomic } from '../common/document-files.ts';
import { FleetClient } from '../common/fleet-client.ts';
import { defaultMultiplex } from '../common/fleet-ssh.ts';
import { EXIT, parseArgs, printJson, UsageError, type Parsed } from './support.ts';

export const FLEET_USAGE = `fleet: [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]
  run on hosts of the fleet file over ssh (FILE: --fleet, $TREEWALL_FLEET, ./${FLEET_FILE_NAME},
  ~/.config/treewall/${FLEET_FILE_NAME}); --fleet alone selects every host. See docs/fleet.md.
  exit codes: 0 every host ok, 1 any host failed, 2 bad input`;

export interface FleetContext {
  client: FleetClient;
  fleet: FleetFile;
  hosts: FleetHost[];
  /** The command's own options, parsed as without a fleet. */
  parsed: Parsed;
  /** The single --group given, if any (its configured canary). */
  group: string | undefined;
  fleetFile: string;
}

interface FleetArgs {
  hosts: string[];
  groups: string[];
  fleetFile: string | undefined;
  sshConfig: string | undefined;
  rest: string[];
}

/** The fleet options out of `args`, or null when none is given (the command runs locally). */
export function fleetArgs(args: readonly string[]): FleetArgs | null {
  const out: FleetArgs = {
    hosts: [],
    groups: [],
    fleetFile: undefined,
    sshConfig: undefined,
    rest: [],
  };
  let any = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.rest.push(...args.slice(i));
      break;
    }
    const m = /^--(host|group|fleet|ssh-config)(?:=(.*))?$/.exec(arg);
    if (!m) {
      out.rest.push(arg);
      continue;
    }
    any = true;
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    if (m[1] === 'host') out.hosts.push(value);
    else if (m[1] === 'group') out.groups.push(value);
    else if (m[1] === 'fleet') out.fleetFile = value;
    else out.sshConfig = value;
  }
  return any ? out : null;
}

export function fleetFilePath(given: string | undefined): string {
  if (given) return given;
  if (process.env.TREEWALL_FLEET) return process.env.TREEWALL_FLEET;
  if (existsSync(FLEET_FILE_NAME)) return path.resolve(FLEET_FILE_NAME);
  return path.join(os.homedir(), '.config', 'treewall', FLEET_FILE_NAME);
}

/** The fleet file cannot be read or is not valid (exit 2, no usage text). */
export class FleetFileError extends Error {}

export async function loadFleet(file: string): Promise<FleetFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new FleetFileError(`cannot read the fleet file ${file}: ${(error as Error).message}`);
  }
  const parsed = parseFleet(text);
  if ('problems' in parsed) {
    throw new FleetFileError(
      `${file} is not a valid fleet file:\n` +
        parsed.problems.map((p) => `  ${p.path || '(file)'}: ${p.message}`).join('\n'),
    );
  }
  return parsed.fleet;
}

/**
 * If `args` select a fleet, run `body` on it and return its exit code (errors reported);
 * otherwise null, and the command runs against the local helper as before.
 */
export function runFleet(
  command: string,
  args: string[],
  usage: string,
  body: (ctx: FleetContext) => Promise<number>,
  spec: { valued?: string[]; flags?: string[] } = {},
): Promise<number> | null {
  let selected: FleetArgs | null;
  try {
    selected = fleetArgs(args);
  } catch (error) {
    console.error(`treewall ${command}: ${(error as Error).message}`);
    return Promise.resolve(EXIT.badInput);
  }
  if (!selected) return null;
  const fleetSelection = selected;
  return (async () => {
    try {
      const parsed = parseArgs(fleetSelection.rest, spec.valued, spec.flags);
      const fleetFile = fleetFilePath(fleetSelection.fleetFile);
      const fleet = await loadFleet(fleetFile);
      const sshConfig = fleetSelection.sshConfig ?? process.env.TREEWALL_SSH_CONFIG;
      // One CLI call after another (status, then apply, then confirm) rides on one connection
      // per host for a minute, unless the user's ssh config has its own Control* settings.
      const multiplex = defaultMultiplex(sshConfig);
      const client = new FleetClient(fleet, {
        ...(sshConfig ? { sshConfig } : {}),
        ...(multiplex ? { multiplex } : {}),
      });
      const hosts = client.select({ hosts: fleetSelection.hosts, groups: fleetSelection.groups });
      if (hosts.length === 0) throw new UsageError('no host selected (the fleet file lists none)');
      return await body({
        client,
        fleet,
        hosts,
        parsed,
        group: fleetSelection.groups.length === 1 ? fleetSelection.groups[0] : undefined,
        fleetFile,
      });
    } catch (error) {
      if (error instanceof UsageError || error instanceof FleetSelectionError) {
        console.error(`treewall ${command}: ${error.message}\n\n${usage}\n${FLEET_USAGE}`);
        return EXIT.badInput;
      }
      console.error(`treewall ${command}: ${(error as Error).message}`);
      return error instanceof FleetFileError ? EXIT.badInput : EXIT.other;
    }
  })();
}

/**
 * Print one row per host (`describe` for a success) or the JSON `{ok, hosts, ...extra}`; the
 * exit code: 0 when every host succeeded, else 1.
 */
export function reportOutcomes<T>(
  outcomes: readonly HostOutcome<T>[],
  json: boolean,
  describe: (value: T, host: string) => string,
  extra: Record<string, unknown> = {},
): number {
  const ok = outcomes.every((o) => o.ok);
  if (json) printJson({ ok, ...extra, hosts: outcomes });
  else {
    const width = Math.max(4, ...outcomes.map((o) => o.host.length)) + 2;
    console.log('HOST'.padEnd(width) + 'RESULT  DETAIL');
    for (const o of outcomes) {
      console.log(
        o.host.padEnd(width) +
          (o.ok
            ? 'ok      ' + describe(o.value, o.host)
            : `FAILED  ${o.error.code}: ${o.error.message}`),
      );
    }
    const failed = outcomes.filter((o) => !o.ok).length;
    if (failed > 0) console.error(`${failed} of ${outcomes.length} host(s) failed`);
  }
  return ok ? EXIT.ok : EXIT.other;
}

/** `fleet-state.json` beside the fleet file: what the fleet last applied per host. */
export const statePath = (fleetFile: string): string =>
  path.join(path.dirname(fleetFile), FLEET_STATE_FILE_NAME);

export async function readFleetState(fleetFile: string): Promise<FleetState> {
  try {
    const parsed = fleetStateSchema.safeParse(
      JSON.parse(await fs.readFile(statePath(fleetFile), 'utf8')),
    );
    return parsed.success ? parsed.data : emptyFleetState();
  } catch {
    return emptyFleetState();
  }
}

export async function recordApplied(
  fleetFile: string,
  entries: { host: string; fingerprint: string; appliedAt: string; file: string | null }[],
): Promise<void> {
  if (entries.length === 0) return;
  const state = await readFleetState(fleetFile);
  for (const e of entries) {
    state.hosts[e.host] = { fingerprint: e.fingerprint, appliedAt: e.appliedAt, file: e.file };
  }
  try {
    await writeFileAtomic(statePath(fleetFile), JSON.stringify(state, null, 2) + '\n');
  } catch (error) {
    console.error(
      `treewall: note: could not record the apply in ${statePath(fleetFile)}: ${(error as Error).message}`,
    );
  }
}
