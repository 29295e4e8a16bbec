// The full run's guard: kernel and tool-dependent tests skip (with their reason) when the machine
// cannot run them, so under `npm test` or CI this file fails, naming what is missing, and a skip
// never passes silently. Also the setup script's plan, with the machine injected.
import { describe, expect, it } from 'vitest';
import { dataPlaneSkipReason } from './dataplane.ts';
import { kernelSkipReason } from './netns.ts';
import {
  fullRunRequested,
  installCommand,
  missingPrerequisites,
  prerequisites,
} from './prerequisites.ts';
import { planSetup } from './setup-machine.ts';

const full = fullRunRequested();

describe('this machine runs every test (full run: npm test or CI)', () => {
  it.skipIf(!full)('has root, namespaces and every tool the tests need', () => {
    const missing = missingPrerequisites();
    const reasons = [
      ...missing.map((p) => `${p.tool} (apt package ${p.pkg}) for ${p.neededBy}`),
      ...(kernelSkipReason ? [kernelSkipReason] : []),
      ...(dataPlaneSkipReason && dataPlaneSkipReason !== kernelSkipReason
        ? [dataPlaneSkipReason]
        : []),
    ];
    expect(reasons, 'tests that would be skipped, and why').toEqual([]);
  });
});

describe('full run detection', () => {
  it('is on under CI or TREEWALL_FULL_RUN=1, off otherwise', () => {
    expect(fullRunRequested({ CI: 'true' })).toBe(true);
    expect(fullRunRequested({ CI: '1' })).toBe(true);
    expect(fullRunRequested({ TREEWALL_FULL_RUN: '1' })).toBe(true);
    expect(fullRunRequested({ CI: 'false' })).toBe(false);
    expect(fullRunRequested({ CI: '' })).toBe(false);
    expect(fullRunRequested({})).toBe(false);
  });
});

describe('setup plan', () => {
  const all = prerequisites({});
  const byTool = (...tools: string[]) => all.filter((p) => tools.includes(p.tool));

  it('installs nothing when every tool is present (a second run is a no-op)', () => {
    expect(missingPrerequisites(() => true, {})).toEqual([]);
    expect(planSetup({ missing: [], root: true, hasApt: true })).toEqual({ kind: 'ready' });
  });

  it('as root, installs exactly the packages of the missing tools', () => {
    const missing = missingPrerequisites(
      (tool) => !['nft', '/usr/bin/chromium'].includes(tool),
      {},
    );
    expect(missing.map((p) => p.pkg)).toEqual(['nftables', 'chromium']);
    const plan = planSetup({ missing, root: true, hasApt: true });
    expect(plan.kind).toBe('install');
    if (plan.kind !== 'install') return;
    expect(plan.commands).toEqual([
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', 'nftables', 'chromium'],
    ]);
  });

  it('not root: one line naming the sudo command', () => {
    const plan = planSetup({ missing: byTool('tcpdump', 'iperf3'), root: false, hasApt: true });
    expect(plan).toMatchObject({ kind: 'advise' });
    if (plan.kind !== 'advise') return;
    expect(plan.message).toContain('run: sudo apt-get install -y tcpdump iperf3');
    expect(plan.message.split('\n')).toHaveLength(1);
  });

  it('without apt-get, names the packages to find elsewhere', () => {
    const plan = planSetup({ missing: byTool('pl'), root: true, hasApt: false });
    expect(plan).toMatchObject({ kind: 'advise' });
    if (plan.kind === 'advise') expect(plan.message).toContain('gnustep-base-runtime');
  });

  it('CHROMIUM= moves the browser check to that path', () => {
    const tools = prerequisites({ CHROMIUM: '/opt/chrome/chrome' }).map((p) => p.tool);
    expect(tools).toContain('/opt/chrome/chrome');
    expect(installCommand(byTool('nft', 'ip'), true)).toBe('apt-get install -y nftables iproute2');
  });
});
