// Runtime: vitest (pure: the evaluator only, no kernel). The factory default document judged by
// the reference evaluator, group by group, as IPNetSentryX's walk-through describes it
// (shared/reference/ipnetsentryx-default-configuration.txt). The kernel half of this is in
// semantics.test.ts. Rule ids are outline positions (`d-2-1-5-5` is rule 2.1.5.5).
import { describe, expect, it } from 'vitest';
import { buildDefaultDocument } from '../../resources/default-document.ts';
import {
  advance,
  createState,
  evaluate,
  parsePacketSpec,
  type Packet,
} from '../../shared/evaluator/index.ts';
import { findById } from '../../shared/model/tree.ts';

const pkt = (spec: string): Packet => {
  const r = parsePacketSpec(spec);
  if (!r.ok) throw new Error(`${spec}: ${r.error}`);
  return r.value;
};

const judge = (spec: string, d = buildDefaultDocument(), state = createState(0)) =>
  evaluate(d, pkt(spec), state);

describe('1.x: applied first', () => {
  it('1.1 deletes fragments that cut into the headers; 1.2 passes later fragments', () => {
    expect(judge('in eth0 tcp 192.0.2.1:1 > 10.0.0.1:80 frag 3')).toMatchObject({
      verdict: 'delete',
      verdictRuleId: 'd-1-1',
    });
    expect(judge('in eth0 udp 192.0.2.1:1 > 10.0.0.1:53 frag 200')).toMatchObject({
      verdict: 'pass',
      verdictRuleId: 'd-1-2',
    });
  });
  it('1.3 passes real loopback traffic and deletes loopback spoofs from a real interface', () => {
    expect(judge('in lo tcp 127.0.0.1:40000 > 127.0.0.1:631 flags syn')).toMatchObject({
      verdict: 'pass',
      verdictRuleId: 'd-1-3-1',
    });
    expect(judge('in eth0 tcp 127.0.0.1:40000 > 127.0.0.1:631 flags syn')).toMatchObject({
      verdict: 'delete',
      verdictRuleId: 'd-1-3-2',
    });
    expect(judge('in eth0 tcp 127.0.0.1:40000 > 10.0.0.1:22 flags syn')).toMatchObject({
      verdict: 'delete',
      verdictRuleId: 'd-1-3-3',
    });
  });
  it('1.4 deletes source-routed packets', () => {
    expect(judge('in eth0 udp 192.0.2.1:1 > 10.0.0.1:53 options 3').verdictRuleId).toBe('d-1-4-1');
    expect(judge('in eth0 udp 192.0.2.1:1 > 10.0.0.1:53 options 9').verdictRuleId).toBe('d-1-4-2');
    expect(judge('in eth0 udp 192.0.2.1:1 > 10.0.0.1:53 options 3,9').verdictRuleId).toBe(
      'd-1-4-1',
    );
    expect(judge('in eth0 udp 192.0.2.1:1 > 10.0.0.1:53 options 7').verdict).toBe('pass');
  });
});

describe('2.1 suspicious activity', () => {
  it.each([
    ['tcp 192.0.2.7:4000 > 10.0.0.1:23 flags syn', 'd-2-1-5-1'],
    ['tcp 192.0.2.7:4000 > 10.0.0.1:25 flags syn', 'd-2-1-5-2'],
    ['tcp 192.0.2.7:4000 > 10.0.0.1:111 flags syn', 'd-2-1-3'],
    ['udp 192.0.2.7:4000 > 10.0.0.1:1433', 'd-2-1-4'],
    ['udp 192.0.2.7:4000 > 10.0.0.1:7', 'd-2-1-6-1'],
    ['udp 192.0.2.7:68 > 10.0.0.1:67', 'd-2-1-6-2-1'],
    ['tcp 192.0.2.7:4000 > 10.0.0.1:3 flags syn', 'd-2-1-2'],
  ])(
    'a probe (%s) triggers: the sender is banned and the user alerted (the Alert child reports it instead of the Trigger log line)',
    (spec, by) => {
      const r = judge(`in eth0 ${spec}`);
      expect(r).toMatchObject({ verdict: 'delete', verdictAction: 'Trigger', verdictRuleId: by });
      expect(r.stateChanges.triggered.map((t) => [t.address, t.timeout])).toEqual([
        ['192.0.2.7', 3600],
      ]);
      // DESIGN §3.6: an Alert in the Trigger's side-effect walk already reported the packet.
      expect(r.logEvents).toEqual([`${by}-1`]);
      expect(r.actions.some((a) => a.action === 'Alert')).toBe(true);
    },
  );

  it('2.1.1 then deletes everything from the banned host, silently, and keeps it banned while it probes', () => {
    const first = judge('in eth0 tcp 192.0.2.7:4000 > 10.0.0.1:23 flags syn');
    const later = evaluate(
      buildDefaultDocument(),
      pkt('in eth0 tcp 192.0.2.7:4001 > 10.0.0.1:443 flags syn'),
      advance(first.state, 3000),
    );
    expect(later).toMatchObject({ verdict: 'delete', verdictRuleId: 'd-2-1-1', logged: false });
    // Seen at 3000 s: the hour counts again from there, so at 5000 s it is still banned.
    const still = evaluate(
      buildDefaultDocument(),
      pkt('in eth0 udp 192.0.2.7:4001 > 10.0.0.1:53'),
      advance(later.state, 5000),
    );
    expect(still.verdict).toBe('delete');
    const other = evaluate(
      buildDefaultDocument(),
      pkt('in eth0 tcp 192.0.2.8:4001 > 10.0.0.1:443 flags syn'),
      later.state,
    );
    expect(other.verdict).toBe('pass');
  });

  it('2.1.5.5 refuses AUTH (113) at once instead of banning the mail server', () => {
    const r = judge('in eth0 tcp 192.0.2.25:4000 > 10.0.0.1:113 flags syn');
    expect(r).toMatchObject({ verdict: 'reject', verdictRuleId: 'd-2-1-5-5' });
    expect(r.stateChanges.triggered).toEqual([]);
  });

  it('2.1.6.3 deletes Windows name service (UDP 137-139) silently, without banning the host', () => {
    const r = judge('in eth0 udp 192.0.2.30:137 > 10.0.0.1:138');
    expect(r).toMatchObject({ verdict: 'delete', verdictRuleId: 'd-2-1-6-3', logged: false });
    const next = evaluate(
      buildDefaultDocument(),
      pkt('in eth0 tcp 192.0.2.30:4000 > 10.0.0.1:80 flags syn'),
      r.state,
    );
    expect(next.verdict).toBe('pass');
  });

  it('2.1 watches inbound traffic only: the same ports going out pass', () => {
    expect(judge('out eth0 tcp 10.0.0.1:40000 > 192.0.2.7:23 flags syn').verdict).toBe('pass');
  });

  it('67 to the broadcast address is DHCP, not a probe', () => {
    expect(judge('in eth0 udp 0.0.0.0:68 > 255.255.255.255:67').verdict).toBe('pass');
  });
});

describe('2.2 server attacks (on, as the original ships it) and 2.3 promiscuous resets', () => {
  it('2.2 drops worm requests by payload, any case, within the first 64 bytes', () => {
    const worm = judge(
      'in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:80 flags ack,psh payload "GET /scripts/ROOT.EXE?/c+dir"',
    );
    expect(worm).toMatchObject({ verdict: 'drop connection', verdictAction: 'Drop connection' });
    // Beyond the 64-byte window, or to another port: passes.
    const late = `GET /${'a'.repeat(70)}/root.exe`;
    expect(
      judge(`in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:80 flags ack,psh payload "${late}"`).verdict,
    ).toBe('pass');
    expect(
      judge('in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:8080 flags ack,psh payload "GET /root.exe"')
        .verdict,
    ).toBe('pass');
  });
  it('2.3 (on, as the original ships it) delays arriving resets; other segments pass', () => {
    expect(judge('in eth0 tcp 192.0.2.1:80 > 10.0.0.1:4000 flags rst')).toMatchObject({
      verdict: 'delay',
      verdictRuleId: 'd-2-3-1',
    });
    expect(judge('in eth0 tcp 192.0.2.1:80 > 10.0.0.1:4000 flags ack').verdict).toBe('pass');
  });
});

describe('2.4 ICMP logger', () => {
  it('logs inbound pings, source quench, redirects and parameter problems, and lets them pass', () => {
    for (const [type, id] of [
      ['8', 'd-2-4-1-3-3'],
      ['4', 'd-2-4-1-1'],
      ['5', 'd-2-4-1-2'],
      ['12', 'd-2-4-1-4'],
    ]) {
      const r = judge(`in eth0 icmp 192.0.2.1 > 10.0.0.1 type ${type}`);
      expect(r.verdict).toBe('pass');
      expect(r.logEvents).toEqual([id]);
    }
  });
  it('does not log replies to our own pings, or our own pings going out', () => {
    expect(judge('in eth0 icmp 192.0.2.1 > 10.0.0.1 type echo-reply').logged).toBe(false);
    expect(judge('out eth0 icmp 10.0.0.1 > 192.0.2.1 type echo-request').logged).toBe(false);
  });
  it('the ping-flood rule counts on a timer (Parent match count), so a packet never matches it', () => {
    expect(judge('in eth0 icmp 192.0.2.1 > 10.0.0.1 type 8').tested).toContain('d-2-4-1-3-2');
    expect(judge('in eth0 icmp 192.0.2.1 > 10.0.0.1 type 8').matched).not.toContain('d-2-4-1-3-2');
  });
});

describe('2.5 check servers (off)', () => {
  it('a disabled parent skips its children even though they are enabled', () => {
    const r = judge('in eth0 icmp 192.168.0.2 > 10.0.0.1 type echo-reply');
    expect(r.tested.filter((id) => id.startsWith('d-2-5'))).toEqual([]);
  });
});

describe('2.6 protect servers', () => {
  it('is off by default: inbound connection requests pass', () => {
    expect(judge('in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:8443 flags syn').verdict).toBe('pass');
  });
  it('when on, deletes every inbound TCP connection request on the external interface except enabled services', () => {
    const d = buildDefaultDocument();
    d.settings.externalInterfaces = ['eth0'];
    findById(d.rules, 'd-2-6')!.enabled = true;
    const ssh = findById(d.rules, 'd-2-6-1-1')!.children.find((r) => r.name.includes('SSH'))!;
    ssh.enabled = true;
    const smb = findById(d.rules, 'd-2-6-1-1-1')!;
    smb.enabled = true; // 139 and 445: a service on two ports, one child each
    const go = (spec: string) => evaluate(d, pkt(spec));
    expect(go('in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:22 flags syn')).toMatchObject({
      verdict: 'pass',
    });
    expect(go('in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:22 flags syn').actions).toContainEqual({
      ruleId: ssh.id,
      action: 'Exit group',
    });
    expect(go('in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:445 flags syn').verdict).toBe('pass');
    expect(go('in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:80 flags syn')).toMatchObject({
      verdict: 'delete',
      verdictRuleId: 'd-2-6-1-1-17',
      logged: true,
    });
    expect(go('in eth0 tcp 192.0.2.1:4000 > 10.0.0.1:80 flags ack').verdict).toBe('pass');
    expect(go('in eth1 tcp 192.0.2.1:4000 > 10.0.0.1:80 flags syn').verdict).toBe('pass');
    expect(go('out eth0 tcp 10.0.0.1:4000 > 192.0.2.1:80 flags syn').verdict).toBe('pass');
  });
});
