// Runtime: browser (renderer/). The packet as fields (direction, interface, protocol, addresses,
// ports, TCP flags, ICMP type), for people who would rather not write the one-line form. Each
// follows the other: the fields write the line, and a line the fields can say (typed, picked
// from the examples or from the log) fills them; a line that says more than the fields can
// (the line stays the source of truth) leaves them and says so.

import { useEffect, useState } from 'react';
import { useSimStore } from './sim-store.ts';

interface Fields {
  direction: 'in' | 'out';
  iface: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  src: string;
  srcPort: string;
  dst: string;
  dstPort: string;
  flags: string;
  icmpType: string;
}

const INITIAL: Fields = {
  direction: 'in',
  iface: 'eth0',
  protocol: 'tcp',
  src: '192.0.2.7',
  srcPort: '40000',
  dst: '10.0.0.1',
  dstPort: '22',
  flags: 'syn',
  icmpType: '8',
};

const endpoint = (address: string, port: string, ports: boolean) => {
  const a = address.trim() || '0.0.0.0';
  if (!ports || !port.trim()) return a;
  return a.includes(':') ? `[${a}]:${port.trim()}` : `${a}:${port.trim()}`;
};

export function fieldsToSpec(f: Fields): string {
  const ports = f.protocol === 'tcp' || f.protocol === 'udp';
  const words: string[] = [f.direction];
  if (f.iface.trim()) words.push(f.iface.trim());
  words.push(f.protocol, endpoint(f.src, f.srcPort, ports), '>', endpoint(f.dst, f.dstPort, ports));
  if (f.protocol === 'tcp') words.push('flags', f.flags.trim() || 'none');
  if (f.protocol === 'icmp' || f.protocol === 'icmpv6')
    words.push('type', f.icmpType.trim() || '0');
  return words.join(' ');
}

const PROTOCOLS: readonly string[] = ['tcp', 'udp', 'icmp', 'icmpv6'];

function splitEndpoint(word: string, ports: boolean): { address: string; port: string } | null {
  if (!ports) return { address: word, port: '' };
  const v6 = /^\[(.+)\]:(\d+)$/.exec(word);
  if (v6) return { address: v6[1]!, port: v6[2]! };
  const v4 = /^([^:]+):(\d+)$/.exec(word);
  if (v4) return { address: v4[1]!, port: v4[2]! };
  return word.includes(':') && !word.includes('.') ? { address: word, port: '' } : null;
}

/** The fields for a line, or null when the line says something the fields cannot. */
export function specToFields(spec: string): Fields | null {
  const w = spec.trim().split(/\s+/);
  let i = 0;
  const direction = w[i++];
  if (direction !== 'in' && direction !== 'out') return null;
  const iface = w[i] !== undefined && !PROTOCOLS.includes(w[i]!) ? w[i++]! : '';
  const protocol = w[i++];
  if (!protocol || !PROTOCOLS.includes(protocol)) return null;
  const ports = protocol === 'tcp' || protocol === 'udp';
  const src = splitEndpoint(w[i++] ?? '', ports);
  if (w[i++] !== '>') return null;
  const dst = splitEndpoint(w[i++] ?? '', ports);
  if (!src || !dst) return null;
  let flags = '';
  let icmpType = '';
  while (i < w.length) {
    const key = w[i++];
    const value = w[i++];
    if (value === undefined) return null;
    if (key === 'flags' && protocol === 'tcp') flags = value;
    else if (key === 'type' && !ports) icmpType = value;
    else return null;
  }
  return {
    direction,
    iface,
    protocol: protocol as Fields['protocol'],
    src: src.address,
    srcPort: src.port,
    dst: dst.address,
    dstPort: dst.port,
    flags: flags || INITIAL.flags,
    icmpType: icmpType || INITIAL.icmpType,
  };
}

export function PacketBuilder({ onRun }: { onRun(spec: string): void }) {
  const [f, setF] = useState<Fields>(INITIAL);
  const spec = useSimStore((s) => s.spec);
  // The line changed elsewhere (typed, an example, a log event): the fields follow when they can.
  const [sync, setSync] = useState(true);
  useEffect(() => {
    if (spec === fieldsToSpec(f)) return setSync(true);
    const parsed = specToFields(spec);
    if (parsed) setF(parsed);
    setSync(parsed !== null);
  }, [spec]);
  const update = (patch: Partial<Fields>) => {
    const next = { ...f, ...patch };
    setF(next);
    useSimStore.getState().setSpec(fieldsToSpec(next));
  };
  const ports = f.protocol === 'tcp' || f.protocol === 'udp';
  return (
    <form
      className="packet-builder"
      data-testid="packet-builder"
      onSubmit={(e) => {
        e.preventDefault();
        onRun(fieldsToSpec(f));
      }}
    >
      <select
        aria-label="Direction"
        value={f.direction}
        onChange={(e) => update({ direction: e.target.value as Fields['direction'] })}
      >
        <option value="in">inbound</option>
        <option value="out">outbound</option>
      </select>
      <input
        aria-label="Interface"
        className="pb-iface"
        value={f.iface}
        placeholder="iface"
        onChange={(e) => update({ iface: e.target.value })}
      />
      <select
        aria-label="Protocol"
        value={f.protocol}
        onChange={(e) => update({ protocol: e.target.value as Fields['protocol'] })}
      >
        <option>tcp</option>
        <option>udp</option>
        <option>icmp</option>
        <option>icmpv6</option>
      </select>
      <input
        aria-label="Source address"
        className="pb-addr mono"
        value={f.src}
        onChange={(e) => update({ src: e.target.value })}
      />
      {ports && (
        <input
          aria-label="Source port"
          className="pb-port mono"
          value={f.srcPort}
          onChange={(e) => update({ srcPort: e.target.value })}
        />
      )}
      <span className="muted">→</span>
      <input
        aria-label="Destination address"
        className="pb-addr mono"
        value={f.dst}
        onChange={(e) => update({ dst: e.target.value })}
      />
      {ports && (
        <input
          aria-label="Destination port"
          className="pb-port mono"
          value={f.dstPort}
          onChange={(e) => update({ dstPort: e.target.value })}
        />
      )}
      {f.protocol === 'tcp' && (
        <input
          aria-label="TCP flags"
          className="pb-flags mono"
          value={f.flags}
          title="Flags that are on, comma separated (syn, ack, fin, rst, psh, urg); none for none"
          onChange={(e) => update({ flags: e.target.value })}
        />
      )}
      {(f.protocol === 'icmp' || f.protocol === 'icmpv6') && (
        <input
          aria-label="ICMP type"
          className="pb-port mono"
          value={f.icmpType}
          onChange={(e) => update({ icmpType: e.target.value })}
        />
      )}
      <button type="submit">Simulate these</button>
      {!sync && (
        <span className="muted" data-testid="pb-out-of-sync">
          The line says more than these fields can; they run their own packet.
        </span>
      )}
    </form>
  );
}
