// Runtime: pure (shared/). The fleet file: the hosts treewall manages over OpenSSH, with names and
// groups. A small JSON file beside the documents (`fleet.json`), read and written by the app, the
// browser host and the CLI; see docs/fleet.md.
// Invariant: a fleet that parses here can only produce ssh command lines that cannot be read as
// options: names, addresses, users and remote commands never start with `-`, hold no whitespace
// or control characters where ssh would split them, and ports are 1-65535.

import { z } from 'zod';

/** The fleet file's name in the documents folder (the app) or the current folder (the CLI). */
export const FLEET_FILE_NAME = 'fleet.json';
/** The file format's version (`"version": 1`). */
export const FLEET_FILE_VERSION = 1;
/** The group every host is in, without saying so. */
export const ALL_GROUP = 'all';
/** The remote command that runs the bridge when a host names none. */
export const DEFAULT_REMOTE_COMMAND: readonly string[] = ['treewall'];
export const MAX_HOSTS = 1000;

/** A host's or group's name in the fleet (not the ssh address): `web-1`, `router`, `lab.vm2`. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const USER_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** A DNS name, an IPv4 address or an ssh config alias (letters, digits, `.`, `_`, `-`). */
const HOSTNAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
const IPV6_PATTERN = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/** `[user@]host[:port]` or an ssh alias, parsed. */
export interface SshTarget {
  user: string | undefined;
  /** Host name, IP address (IPv6 without brackets) or ssh config alias. */
  host: string;
  port: number | undefined;
}

/**
 * Parse `[user@]host[:port]` (IPv6 as `[addr]` or `[addr]:port`; a bare IPv6 address without a
 * port also works). Returns the target or a message saying what is wrong. Refuses anything that
 * ssh could read as an option (a leading `-`), whitespace and control characters.
 */
export function parseSshTarget(text: string): SshTarget | { error: string } {
  if (text.length === 0) return { error: 'the address is empty' };
  if (text.startsWith('-')) {
    return { error: `'${printable(text)}' starts with '-' (ssh would read it as an option)` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(text)) {
    return { error: `'${printable(text)}' holds whitespace or control characters` };
  }
  let rest = text;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER_PATTERN.test(user)) {
      return { error: `user '${printable(user)}' is not a user name (letters, digits, . _ -)` };
    }
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { error: `'${printable(text)}': '[' without ']'` };
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { error: `'${printable(text)}': text after ']'` };
      portText = after.slice(1);
    }
    if (!IPV6_PATTERN.test(host)) return { error: `'${printable(host)}' is not an IPv6 address` };
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    host = rest; // a bare IPv6 address, no port
    if (!IPV6_PATTERN.test(host)) return { error: `'${printable(host)}' is not an IPv6 address` };
  } else {
    const colon = rest.indexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
    if (!HOSTNAME_PATTERN.test(host)) {
      return {
        error: `host '${printable(host)}' is not a host name, address or ssh alias (letters, digits, . _ -)`,
      };
    }
  }
  if (host.startsWith('-')) return { error: `host '${printable(host)}' starts with '-'` };
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      return { error: `port '${printable(portText)}' is not a number from 1 to 65535` };
    }
  }
  return { user, host, port };
}

/** `[user@]host[:port]` as the user writes it, from a parsed target. */
export function formatSshTarget(target: SshTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.user ? `${target.user}@` : ''}${host}${target.port ? `:${target.port}` : ''}`;
}

function printable(text: string): string {
  let out = '';
  for (const c of text.slice(0, 80)) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

const nameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be 1-64 letters, digits, _ . - and not start with . or -');

const addressSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseSshTarget(text);
  if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
});

/** One word of the remote command: no leading `-` on the program, no control characters. */
const commandWordSchema = z
  .string()
  .min(1)
  .max(1024)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not hold control characters');

export const fleetHostSchema = z.strictObject({
  /** The host's name in the fleet (unique; what `--host NAME` and the host picker show). */
  name: nameSchema,
  /** `[user@]host[:port]` or an alias of the user's ~/.ssh/config; default: `name`. */
  address: addressSchema.optional(),
  /** Groups this host is in (besides `all`). */
  groups: z.array(nameSchema).max(64).default([]),
  /**
   * The remote program that runs `helper-bridge`, as words (each is quoted for the remote shell):
   * default `["treewall"]`; e.g. `["node", "/opt/treewall/bin/treewall.js"]`.
   */
  remoteCommand: z
    .array(commandWordSchema)
    .min(1)
    .max(16)
    .refine((words) => !words[0]!.startsWith('-'), 'the program must not start with -')
    .optional(),
  /** The helper's socket on that host; default: the remote's `$TREEWALL_SOCKET` or the default. */
  socket: z
    .string()
    .regex(
      // eslint-disable-next-line no-control-regex
      /^\/[^\u0000-\u001f\u007f]{0,1023}$/,
      'must be an absolute path without control characters',
    )
    .optional(),
  /** Free text for people. */
  note: z.string().max(1024).optional(),
});
export type FleetHost = z.infer<typeof fleetHostSchema>;

export const fleetFileSchema = z
  .strictObject({
    version: z.literal(FLEET_FILE_VERSION),
    hosts: z.array(fleetHostSchema).max(MAX_HOSTS),
    /** Per group, the host that goes first in a staged rollout (default: the group's first). */
    canaries: z.record(nameSchema, nameSchema).default({}),
  })
  .superRefine((fleet, ctx) => {
    const seen = new Set<string>();
    fleet.hosts.forEach((host, index) => {
      if (seen.has(host.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', index, 'name'],
          message: `host '${host.name}' is listed twice`,
        });
      }
      seen.add(host.name);
      if (host.name === ALL_GROUP) {
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', index, 'name'],
          message: `'${ALL_GROUP}' is the group of every host, not a host name`,
        });
      }
      if (host.address === undefined && 'error' in parseSshTarget(host.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', index, 'name'],
          message: `host '${host.name}' has no address and its name is not one`,
        });
      }
    });
    for (const [group, canary] of Object.entries(fleet.canaries)) {
      const host = fleet.hosts.find((h) => h.name === canary);
      if (!host || (group !== ALL_GROUP && !host.groups.includes(group))) {
        ctx.addIssue({
          code: 'custom',
          path: ['canaries', group],
          message: `canary '${canary}' is not a host of group '${group}'`,
        });
      }
    }
  });
export type FleetFile = z.infer<typeof fleetFileSchema>;
/** What the file may omit (defaults filled in by the schema). */
export type FleetFileInput = z.input<typeof fleetFileSchema>;

export const emptyFleet = (): FleetFile => ({
  version: FLEET_FILE_VERSION,
  hosts: [],
  canaries: {},
});

export interface FleetProblem {
  /** `hosts.2.address` */
  path: string;
  message: string;
}

/** Parse a fleet file's text: the fleet, or every problem with its path. */
export function parseFleet(text: string): { fleet: FleetFile } | { problems: FleetProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problems: [{ path: '', message: `not JSON: ${(error as Error).message}` }] };
  }
  return validateFleet(json);
}

export function validateFleet(value: unknown): { fleet: FleetFile } | { problems: FleetProblem[] } {
  const parsed = fleetFileSchema.safeParse(value);
  if (parsed.success) return { fleet: parsed.data };
  return {
    problems: parsed.error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    })),
  };
}

/** The text the app and the CLI write (stable: two-space JSON, a final newline). */
export const formatFleet = (fleet: FleetFile): string => JSON.stringify(fleet, null, 2) + '\n';

/** The ssh target of a host (its address, else its name). */
export function hostTarget(host: FleetHost): SshTarget {
  const parsed = parseSshTarget(host.address ?? host.name);
  if ('error' in parsed) throw new Error(`host '${host.name}': ${parsed.error}`);
  return parsed;
}

/** Every group named in the fleet, `all` first. */
export function fleetGroups(fleet: FleetFile): string[] {
  const groups = new Set<string>();
  for (const host of fleet.hosts) for (const g of host.groups) groups.add(g);
  return [ALL_GROUP, ...[...groups].filter((g) => g !== ALL_GROUP).sort()];
}

export class FleetSelectionError extends Error {}

/**
 * The hosts `--host NAME` (repeatable) and `--group G` (repeatable) select, in fleet order, each
 * once. Nothing given: every host. A name that is neither a host nor a group is an error (no ssh
 * is started for it).
 */
export function selectHosts(
  fleet: FleetFile,
  selection: { hosts?: readonly string[]; groups?: readonly string[] },
): FleetHost[] {
  const names = selection.hosts ?? [];
  const groups = selection.groups ?? [];
  for (const name of names) {
    if (name.startsWith('-')) {
      throw new FleetSelectionError(`host '${printable(name)}' starts with '-' (refused)`);
    }
    if (!fleet.hosts.some((h) => h.name === name)) {
      throw new FleetSelectionError(`unknown host '${printable(name)}': not in the fleet file`);
    }
  }
  const known = new Set(fleetGroups(fleet));
  for (const group of groups) {
    if (!known.has(group)) {
      throw new FleetSelectionError(`unknown group '${printable(group)}': no host is in it`);
    }
  }
  if (names.length === 0 && groups.length === 0) return [...fleet.hosts];
  return fleet.hosts.filter(
    (h) =>
      names.includes(h.name) ||
      groups.includes(ALL_GROUP) ||
      h.groups.some((g) => groups.includes(g)),
  );
}

/** The canary of a rollout over `hosts` (selected by `group`, if one): configured, else first. */
export function canaryOf(
  fleet: FleetFile,
  hosts: readonly FleetHost[],
  group?: string,
): FleetHost | undefined {
  const configured = group === undefined ? undefined : fleet.canaries[group];
  return hosts.find((h) => h.name === configured) ?? hosts[0];
}

/** The state file beside the fleet file: what this fleet last applied to each host. */
export const FLEET_STATE_FILE_NAME = 'fleet-state.json';

export const fleetStateSchema = z.object({
  version: z.literal(FLEET_FILE_VERSION),
  hosts: z.record(
    z.string(),
    z.object({
      /** documentFingerprint of what was applied (electron/common/fleet-client.ts). */
      fingerprint: z.string(),
      appliedAt: z.string(),
      /** The document's file name, when it came from one. */
      file: z.string().nullable(),
    }),
  ),
});
export type FleetState = z.infer<typeof fleetStateSchema>;
export const emptyFleetState = (): FleetState => ({ version: FLEET_FILE_VERSION, hosts: {} });
