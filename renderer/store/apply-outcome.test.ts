import { describe, expect, it } from 'vitest';
import type { HelperStatus } from '../../shared/ipc/app-api.ts';
import type { HelperStatusResult } from '../../shared/ipc/helper-protocol.ts';
import { DEFAULT_SETTINGS, type Rule } from '../../shared/model/types.ts';
import { createOutcomeTracker, differsFromActive } from './apply-outcome.ts';

const BEFORE = '2026-11-23T12:00:00.000Z';
const APPLIED = '2026-11-23T13:00:00.000Z';
const DEADLINE = '2026-11-23T13:00:20.000Z';
const LATER = '2026-11-23T13:00:21.000Z';

function status(over: Partial<HelperStatus> = {}, lastError: string | null = null): HelperStatus {
  return {
    connected: true,
    socketPath: '/run/treewall.sock',
    active: true,
    appliedAt: APPLIED,
    ruleCount: 3,
    pendingConfirm: null,
    message: null,
    helper: { lastError } as HelperStatusResult,
    ...over,
  };
}
const pending = (lastError: string | null = null) =>
  status({ pendingConfirm: { deadline: DEADLINE, timeoutSeconds: 20 } }, lastError);

describe('apply outcome', () => {
  it('Keep in this window: kept', () => {
    const t = createOutcomeTracker();
    expect(t.next(pending())).toBeNull();
    t.choose('keep');
    expect(t.next(status())).toMatchObject({ kind: 'kept', message: '3 rules applied and kept' });
    expect(t.next(status())).toBeNull();
  });

  it('the deadline passes: rolled back, and says so with the timeout', () => {
    const t = createOutcomeTracker();
    t.next(pending());
    const o = t.next(
      status({ appliedAt: LATER, ruleCount: 2 }, 'rolled back: no confirm within 20 s'),
    );
    expect(o).toMatchObject({ kind: 'rolledBack', reason: 'nobody chose Keep within 20 s' });
    expect(o?.detail).toBe('The previous 2 rules are in force again.');
  });

  it('Revert in this window, with nothing in force before: rolled back, firewall off', () => {
    const t = createOutcomeTracker();
    t.next(pending());
    t.choose('revert');
    const o = t.next(
      status(
        { active: false, appliedAt: null, ruleCount: null },
        'rolled back: reverted by request',
      ),
    );
    expect(o).toMatchObject({ kind: 'rolledBack', reason: 'you chose Revert' });
    expect(o?.detail).toContain('off again');
  });

  it('the helper restarted past the deadline: settled by the first status after the reconnect', () => {
    const t = createOutcomeTracker();
    t.next(pending());
    expect(t.next(status({ connected: false, active: false }))).toBeNull();
    const o = t.next(
      status(
        { appliedAt: LATER },
        'rolled back: the confirm deadline passed while the helper was down',
      ),
    );
    expect(o).toMatchObject({ kind: 'rolledBack' });
    expect(o?.reason).toContain('restarted');
  });

  it('an old rollback message does not make a later Keep look like a rollback', () => {
    const t = createOutcomeTracker();
    t.next(pending('rolled back: no confirm within 20 s'));
    // Kept from another client: same apply still in force.
    expect(t.next(status({}, 'rolled back: no confirm within 20 s'))).toMatchObject({
      kind: 'kept',
      message: '3 rules applied and kept (Keep was chosen in another window)',
    });
  });

  it('the firewall turned off (here or elsewhere)', () => {
    const t = createOutcomeTracker();
    t.next(status({ appliedAt: BEFORE }));
    expect(t.next(status({ active: false }))).toMatchObject({ kind: 'stopped' });
  });
});

const rule = (over: Partial<Rule> = {}): Rule => ({
  id: 'r1',
  enabled: true,
  name: 'a',
  property: 'Any',
  relation: '==',
  value: '',
  action: 'Pass',
  parameter: '',
  children: [],
  expanded: false,
  ...over,
});

describe('differs from the rules in force', () => {
  const doc = (rules: Rule[], settings = DEFAULT_SETTINGS) => ({ rules, settings });
  it('ignores names and disclosure, sees fields, children and interfaces', () => {
    const active = doc([rule({ children: [rule({ id: 'r2' })] })]);
    expect(
      differsFromActive(
        doc([rule({ name: 'b', expanded: true, children: [rule({ id: 'r2' })] })]),
        active,
      ),
    ).toBe(false);
    expect(
      differsFromActive(doc([rule({ children: [rule({ id: 'r2', enabled: false })] })]), active),
    ).toBe(true);
    expect(
      differsFromActive(doc([rule({ action: 'Delete', children: [rule({ id: 'r2' })] })]), active),
    ).toBe(true);
    expect(
      differsFromActive(
        doc(active.rules, { ...DEFAULT_SETTINGS, externalInterfaces: ['eth0'] }),
        active,
      ),
    ).toBe(true);
  });
});
