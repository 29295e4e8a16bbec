import { describe, expect, it } from 'vitest';
import { pingSentAt } from './counter-latency.ts';

describe('pingSentAt', () => {
  it("is the reply's arrival (ping -D) minus the round trip, in epoch ms", () => {
    const out =
      'PING 10.99.0.2 (10.99.0.2) 56(84) bytes of data.\n' +
      '[1796659064.859844] 64 bytes from 10.99.0.2: icmp_seq=1 ttl=64 time=0.172 ms\n';
    expect(pingSentAt(out)).toBeCloseTo(1796659064859.844 - 0.172, 3);
  });
  it('is undefined without a reply line', () => {
    expect(pingSentAt('1 packets transmitted, 0 received\n')).toBeUndefined();
  });
});
