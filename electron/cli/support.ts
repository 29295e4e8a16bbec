// Runtime: plain Node. What the helper's CLI commands share (electron/cli/commands/{apply,
// confirm,revert,status,show-active,stop,counters,triggered,log}.ts): option parsing, one
// connection per command, and the mapping of failures to exit codes and next steps.
// Invariant: exit codes are 0 ok, 2 bad input, 3 helper unreachable, 1 anything else.

import { invalidUtf8Sequences } from '../common/document-files.ts';
import { DEFAULT_SOCKET_PATH } from '../../shared/ipc/helper-protocol.ts';
import { formatProblem } from '../../shared/model/validate.ts';
import { HelperCallError, HelperClient } from '../common/helper-client.ts';

export const EXIT = { ok: 0, other: 1, badInput: 2, unreachable: 3 } as const;

export class UsageError extends Error {}

export interface Parsed {
  socket: string;
  json: boolean;
  /** Values of the command's own options (`--confirm-timeout 30` -> {'confirm-timeout': '30'}). */
  options: Record<string, string | true>;
  positional: string[];
}

/**
 * Parse `args`: `--socket PATH`, `--json`, the command's options (`valued` take a value, `flags`
 * do not), the rest positional. Unknown options are a UsageError.
 */
export function parseArgs(args: string[], valued: string[] = [], flags: string[] = []): Parsed {
  const out: Parsed = {
    socket: process.env.TREEWALL_SOCKET || DEFAULT_SOCKET_PATH,
    json: false,
    options: {},
    positional: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') {
        out.positional.push(...args.slice(i + 1));
        break;
      }
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      return v;
    };
    if (name === 'socket') out.socket = value();
    else if (name === 'json') out.json = true;
    else if (valued.includes(name)) out.options[name] = value();
    else if (flags.includes(name)) out.options[name] = true;
    else throw new UsageError(`unknown option --${name}`);
  }
  return out;
}

export function intOption(p: Parsed, name: string, min: number, max: number): number | undefined {
  const raw = p.options[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw === true || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/**
 * Run one command body with a connected client; print failures with what to do next and return
 * the exit code. `usage` is printed after a UsageError.
 */
export async function runWithClient(
  command: string,
  args: string[],
  usage: string,
  body: (client: HelperClient, parsed: Parsed) => Promise<number | void>,
  spec: { valued?: string[]; flags?: string[] } = {},
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(args, spec.valued, spec.flags);
  } catch (error) {
    console.error(`treewall ${command}: ${(error as Error).message}\n\n${usage}`);
    return EXIT.badInput;
  }
  let client: HelperClient | undefined;
  try {
    client = await HelperClient.connect(parsed.socket);
    return (await body(client, parsed)) ?? EXIT.ok;
  } catch (error) {
    return reportError(command, error, parsed.json, usage);
  } finally {
    await client?.close();
  }
}

export function reportError(
  command: string,
  error: unknown,
  json: boolean,
  usage?: string,
): number {
  if (error instanceof UsageError) {
    console.error(`treewall ${command}: ${error.message}${usage ? `\n\n${usage}` : ''}`);
    return EXIT.badInput;
  }
  if (error instanceof HelperCallError) {
    if (json) {
      console.log(
        JSON.stringify({
          ok: false,
          error: {
            code: error.code,
            message: error.message,
            field: error.field,
            problems: error.problems,
          },
        }),
      );
    } else {
      console.error(`treewall ${command}: ${error.message}`);
      for (const p of error.problems ?? []) console.error(`  ${formatProblem(p)}`);
      const hint = HINTS[error.code];
      if (hint) console.error(hint);
    }
    if (error.code === 'unreachable') return EXIT.unreachable;
    if (
      error.code === 'bad-request' ||
      error.code === 'invalid-document' ||
      error.code === 'too-large'
    ) {
      return EXIT.badInput;
    }
    return EXIT.other;
  }
  console.error(`treewall ${command}: ${(error as Error).message ?? String(error)}`);
  return EXIT.other;
}

const HINTS: Partial<Record<string, string>> = {
  'invalid-document':
    'Fix the rules listed above (`treewall check FILE` shows the same list), then apply again.',
  'nft-failed':
    'The previous rules are still in force. Check `nft list ruleset` and the helper log.',
  'not-active': 'Apply a document first: treewall apply FILE',
  disconnected:
    'The helper went away. Check that it is still running (systemctl status treewall-helper).',
};

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** `2026-11-23T12:00:00.000Z` -> `2026-11-23 12:00:00 UTC`. */
export const shortTime = (iso: string | null): string =>
  iso === null
    ? '-'
    : iso
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
        .replace(/Z$/, ' UTC');

/** Wait for SIGINT/SIGTERM or the helper closing (for --watch / --follow). */
export function untilInterrupted(client: HelperClient): Promise<number> {
  return new Promise((resolve) => {
    const done = (code: number) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = () => done(EXIT.ok);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    client.onClose((error) => {
      if (error) console.error(`treewall: ${error.message}`);
      done(error ? EXIT.other : EXIT.ok);
    });
  });
}

/** Say on stderr when a file was not valid UTF-8 (decoding replaced sequences with U+FFFD). */
export function noteInvalidUtf8(command: string, file: string, bytes: Buffer, text: string): void {
  const n = invalidUtf8Sequences(bytes, text);
  if (n > 0) {
    console.error(
      `treewall ${command}: note: ${file} is not valid UTF-8: ${n} byte sequence${n === 1 ? ' was' : 's were'} read as U+FFFD`,
    );
  }
}
