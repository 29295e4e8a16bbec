// Runtime: Node (benchmarks). Placeholder while the part is written.
import { skipped, type Part } from './report.ts';

export const counterLatency: Part = {
  name: 'counter-latency',
  summary: 'not written yet',
  run: async () => skipped('not written yet'),
};
