// Runtime: plain Node, run by `npm test` before anything else (`tsx electron/testing/setup-machine.ts`).
// Makes a fresh Debian/Ubuntu machine ready for the full test run: installs the apt packages that
// provide the missing tools of `prerequisites.ts` (as root), or says in one line which command to
// run with sudo (not root). Installs nothing when every tool is present, so a second run is a no-op.
// TREEWALL_SETUP_DRY_RUN=1 prints the commands instead of running them.
// Exit: 0 ready, or not root / no apt (the tests that need the missing tools then fail with the
// reason); 1 when apt-get itself failed.

import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { installCommand, missingPrerequisites, which, type Prerequisite } from './prerequisites.ts';

export type SetupPlan =
  | { kind: 'ready' }
  | { kind: 'install'; commands: string[][]; missing: Prerequisite[] }
  | { kind: 'advise'; message: string; missing: Prerequisite[] };

export function planSetup(options: {
  missing: Prerequisite[];
  root: boolean;
  hasApt: boolean;
}): SetupPlan {
  const { missing, root, hasApt } = options;
  if (missing.length === 0) return { kind: 'ready' };
  const tools = missing.map((p) => p.tool).join(', ');
  if (!hasApt) {
    return {
      kind: 'advise',
      missing,
      message:
        `test machine: missing ${tools} and no apt-get here; install the equivalents of ` +
        `${missing.map((p) => p.pkg).join(' ')} (the tests that need them will fail until then)`,
    };
  }
  if (!root) {
    return {
      kind: 'advise',
      missing,
      message: `test machine: missing ${tools}; run: ${installCommand(missing, false)}`,
    };
  }
  const pkgs = [...new Set(missing.map((p) => p.pkg))];
  return {
    kind: 'install',
    missing,
    commands: [
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', ...pkgs],
    ],
  };
}

export function setupMachine(env: NodeJS.ProcessEnv = process.env): number {
  const missing = missingPrerequisites(which, env);
  const plan = planSetup({
    missing,
    root: process.getuid?.() === 0,
    hasApt: which('apt-get'),
  });
  if (plan.kind === 'ready') {
    console.log('test machine: every tool the tests need is present');
    return 0;
  }
  if (plan.kind === 'advise') {
    console.log(plan.message);
    return 0;
  }
  console.log(
    `test machine: installing ${plan.missing.map((p) => `${p.pkg} (${p.tool})`).join(', ')}`,
  );
  for (const [cmd, ...args] of plan.commands) {
    if (env.TREEWALL_SETUP_DRY_RUN === '1') {
      console.log(`test machine: would run: ${[cmd, ...args].join(' ')}`);
      continue;
    }
    const result = spawnSync(cmd!, args, {
      stdio: 'inherit',
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) {
      console.error(`test machine: ${[cmd, ...args].join(' ')} failed (exit ${result.status})`);
      return 1;
    }
  }
  if (env.TREEWALL_SETUP_DRY_RUN === '1') return 0;
  const still = missingPrerequisites(which, env);
  if (still.length > 0) {
    // E.g. Ubuntu's `chromium` is a snap stub: say so rather than pretend.
    console.log(
      `test machine: still missing after the install: ${still.map((p) => p.tool).join(', ')}`,
    );
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = setupMachine();
}
