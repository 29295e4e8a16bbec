// Runtime: plain Node, as root. The Script action: a program from the helper's scripts folder
// (`scripts-dir` in actions.conf), run with the event as JSON on its stdin. IPNetSentryX ran an
// AppleScript named by the rule's parameter from the folder of the script chosen in its
// preferences; here the parameter names a file in the scripts folder (or an absolute path inside
// it), optionally followed by arguments.
// Invariants:
// - Only a regular, executable file inside the folder after every symlink is resolved; the folder,
//   the file and every folder above them are owned by root and not writable by group or others
//   (a root-owned sticky folder such as /tmp above the scripts folder is accepted: others cannot
//   replace what they do not own in it). Checked at apply (a problem naming the rule) and again
//   at every run.
// - No shell: the file is executed directly with the arguments as written; environment reduced to
//   PATH, LANG; its own process group, killed (SIGKILL) at the timeout; output kept to 4 KB.

import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const SCRIPT_TIMEOUT_MS = 10_000;
const OUTPUT_LIMIT = 4096;

/** Is this owner/mode safe for something root executes or looks things up in? */
function unsafe(st: { uid: number; mode: number }, what: string, sticky = false): string | null {
  if (st.uid !== 0) return `${what} is not owned by root (uid ${st.uid})`;
  if ((st.mode & 0o022) !== 0 && !(sticky && (st.mode & 0o1000) !== 0))
    return `${what} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8)})`;
  return null;
}

/**
 * The script file a rule names, checked. `name`: the parameter's command (a name relative to the
 * folder, or an absolute path). Resolves with the real path, or rejects with what is wrong.
 */
export async function resolveScript(scriptsDir: string | null, name: string): Promise<string> {
  if (!scriptsDir)
    throw new Error('no scripts folder is configured on the helper (scripts-dir in actions.conf)');
  const dir = await fs.realpath(scriptsDir).catch(() => {
    throw new Error(`the scripts folder ${scriptsDir} does not exist`);
  });
  const inside = (base: string, p: string) => {
    const rel = path.relative(base, p);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  // Lexically first (an absolute path elsewhere, `../x`), then after symlinks. An absolute path
  // may name the folder as configured or as it really is.
  const configured = path.resolve(scriptsDir);
  let wanted = path.resolve(dir, name);
  if (path.isAbsolute(name) && inside(configured, path.resolve(name)))
    wanted = path.join(dir, path.relative(configured, path.resolve(name)));
  if (!inside(dir, wanted))
    throw new Error(`"${name}" is outside the scripts folder ${scriptsDir}`);
  const real = await fs.realpath(wanted).catch(() => {
    throw new Error(`"${name}" does not exist in the scripts folder ${scriptsDir}`);
  });
  if (!inside(dir, real))
    throw new Error(
      `"${name}" leads outside the scripts folder ${scriptsDir} (symlink to ${real})`,
    );
  // The folder and every folder above it.
  for (let d = dir; ; d = path.dirname(d)) {
    const st = await fs.stat(d);
    const bad = unsafe(st, d === dir ? `the scripts folder ${d}` : `folder ${d}`, d !== dir);
    if (bad) throw new Error(bad);
    if (d === path.dirname(d)) break;
  }
  // Folders between the scripts folder and the file (a script in a subfolder).
  for (let d = path.dirname(real); d !== dir; d = path.dirname(d)) {
    const bad = unsafe(await fs.stat(d), `folder ${d}`);
    if (bad) throw new Error(bad);
  }
  const st = await fs.stat(real);
  if (!st.isFile()) throw new Error(`"${name}" is not a regular file`);
  const bad = unsafe(st, `script ${real}`);
  if (bad) throw new Error(bad);
  if ((st.mode & 0o100) === 0)
    throw new Error(`script ${real} is not executable (mode ${(st.mode & 0o7777).toString(8)})`);
  return real;
}

export interface ScriptResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
}

/** Run the file (no shell) with `input` on stdin; its process group is killed at the timeout. */
export function runScript(
  file: string,
  args: readonly string[],
  input: string,
  timeoutMs = SCRIPT_TIMEOUT_MS,
): Promise<ScriptResult> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(file, args, {
      cwd: path.dirname(file),
      detached: true, // its own process group, so the timeout ends whatever it started
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
      shell: false,
    });
    const keep = (d: Buffer) => {
      if (output.length < OUTPUT_LIMIT)
        output += d.toString('utf8').slice(0, OUTPUT_LIMIT - output.length);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdin.on('error', () => undefined); // a script that does not read its input
    child.stdin.end(input);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, output: error.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Whatever it left behind in its group goes too.
      if (timedOut) killGroup();
      resolve({ code, signal, timedOut, output: output.trim() });
    });
  });
}
