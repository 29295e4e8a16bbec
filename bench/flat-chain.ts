// Runtime: Node (benchmarks). The baseline a linear firewall tool produces: one input chain of N
// rules tested one after another, each with its own counter, none matching the benchmark's
// traffic (so every packet walks all N). This is nft text written by the benchmark itself, as a
// point of comparison; product code never builds nft text.

export const FLAT_TABLE = 'twbench_flat';

export function flatChainText(count: number): string {
  const lines = [
    `table inet ${FLAT_TABLE} {`,
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
  ];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      // Ports 20000 and up: never the benchmark's iperf3 port (5201).
      lines.push(`    tcp dport ${20000 + (i >> 1)} counter drop`);
    } else {
      // 172.16.0.0/12: never the benchmark's client (10.99.0.1).
      const n = i >> 1;
      lines.push(
        `    ip saddr 172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255} counter drop`,
      );
    }
  }
  lines.push('  }', '}', '');
  return lines.join('\n');
}
