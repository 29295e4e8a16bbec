// Runtime: plain Node, tests only. What a full test run needs from the machine (system tools and the
// Debian/Ubuntu packages that provide them), and whether this run is a full one.
// Invariant: one list. `setup-machine.ts` (run first by `npm test`) installs from it, the
// prerequisites test fails from it, and the e2e global setup checks the browser from it, so a tool
// added here is installed, checked and reported everywhere.

import { which } from './processes.ts';

export interface Prerequisite {
  /** The command looked up on PATH (or an absolute path, e.g. the browser). */
  tool: string;
  /** The apt package that provides it. */
  pkg: string;
  /** Which tests need it, for the failure message. */
  neededBy: string;
}

/** The browser the end-to-end tests drive; CHROMIUM=path overrides it. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM ?? '/usr/bin/chromium';
}

export function prerequisites(env: NodeJS.ProcessEnv = process.env): Prerequisite[] {
  return [
    { tool: 'nft', pkg: 'nftables', neededBy: 'kernel tests (rules loaded into namespaces)' },
    { tool: 'ip', pkg: 'iproute2', neededBy: 'kernel tests (network namespaces, veth pairs)' },
    { tool: 'tcpdump', pkg: 'tcpdump', neededBy: "data-plane tests and the helper's log stream" },
    {
      tool: 'python3',
      pkg: 'python3',
      neededBy: "data-plane tests (raw packets), counter reader, Delay's queue worker",
    },
    {
      tool: 'ping',
      pkg: 'iputils-ping',
      neededBy: "the helper's ping:// probes, the Delay kernel test, benchmarks",
    },
    { tool: 'nc', pkg: 'netcat-openbsd', neededBy: 'probing by hand (the README examples)' },
    { tool: 'iperf3', pkg: 'iperf3', neededBy: 'the data-plane benchmark (`npm run bench`)' },
    {
      tool: 'pl',
      pkg: 'gnustep-base-runtime',
      neededBy: 'the OpenStep codec test against GNUstep',
    },
    { tool: 'xvfb-run', pkg: 'xvfb', neededBy: 'the Electron smoke test (a display)' },
    {
      tool: '/usr/sbin/sshd',
      pkg: 'openssh-server',
      neededBy: 'fleet tests (an sshd per namespaced host)',
    },
    { tool: 'ssh', pkg: 'openssh-client', neededBy: 'fleet tests and the fleet transport' },
    { tool: 'tc', pkg: 'iproute2', neededBy: 'rate-limit tests (tc shaping)' },
    { tool: chromiumPath(env), pkg: 'chromium', neededBy: 'end-to-end tests (Playwright)' },
  ];
}

export { which };

export function missingPrerequisites(
  has: (tool: string) => boolean = which,
  env: NodeJS.ProcessEnv = process.env,
): Prerequisite[] {
  return prerequisites(env).filter((p) => !has(p.tool));
}

/**
 * A full run (`npm test`, or CI) must not pass with tests skipped for want of the machine: tests
 * that cannot run fail with the reason instead. A single test file run by hand may still skip.
 */
export function fullRunRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return true;
  return env.TREEWALL_FULL_RUN === '1';
}

/** One line: the command that installs the missing packages. */
export function installCommand(missing: readonly Prerequisite[], root: boolean): string {
  const pkgs = [...new Set(missing.map((p) => p.pkg))].join(' ');
  return `${root ? '' : 'sudo '}apt-get install -y ${pkgs}`;
}
