// Runtime: browser (renderer/). The packet as fields (direction, interface, protocol, addresses,
// ports, TCP flags, ICMP type), for people who would rather not write the one-line form. It
// writes the line (the line stays the source of truth: it can say more than the fields).

import { useState } from 'react';
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

export function PacketBuilder({ onRun }: { onRun(spec: string): void }) {
  const [f, setF] = useState<Fields>(INITIAL);
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
    </form>
  );
}
