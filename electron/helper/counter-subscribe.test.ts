// Counter subscriptions with a fake nft (no root needed): a client that subscribes while the
// helper's counter loop is in the middle of a reading gets the changes that follow, like any
// other. (The loop used to decide which subscribers to keep from the list it took *before* the
// reading, and so dropped the newcomer's watch: its ticks came every second, empty, while the
// host's counters rose — the fleet view's host "stalled" under load, where readings are slow.)
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HelperEventData, HelperEventName } from '../../shared/ipc/helper-protocol.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import type { NftResult, NftRunner } from './nft.ts';
import { serviceOverFakeNft } from '../testing/fake-nft-service.ts';
import type { ClientHandle, HelperService } from './service.ts';

const doc: FirewallDocument = {
  rules: [createRule({ id: 'r1', property: 'Dest port', value: '22', action: 'Pass' })],
  settings: { ...DEFAULT_SETTINGS },
};

/** Every `counter` object named in an nft JSON program. */
function counterNames(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const n of node) counterNames(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'counter' && value && typeof (value as { name?: unknown }).name === 'string')
        out.add((value as { name: string }).name);
      counterNames(value, out);
    }
  }
  return out;
}

/** An nft that loads anything, remembers the counters a load declared, and answers `list
 * counters` with `packets` for each — while `holding`, only once the test releases that reading
 * (`held`, in the order it chooses). */
class CountingNft implements NftRunner {
  names = new Set<string>();
  packets = 1;
  holding = false;
  held: (() => void)[] = [];
  async run(args: string[]): Promise<NftResult> {
    const ok = (stdout = ''): NftResult => ({ code: 0, stdout, stderr: '' });
    if (args[0] === '-j' && args[1] === '-f') {
      const text = args[2] === '-' ? '' : readFileSync(args[2]!, 'utf8');
      if (text.includes('list counters')) {
        if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
        const nftables = [...this.names].map((name) => ({
          counter: {
            family: 'inet',
            table: 'treewall',
            name,
            packets: this.packets,
            bytes: 60 * this.packets,
          },
        }));
        return ok(JSON.stringify({ nftables }));
      }
      if (text.startsWith('{')) counterNames(JSON.parse(text), this.names);
      return ok('{"nftables":[]}');
    }
    if (args.includes('list') && args.includes('table'))
      return ok(
        args[0] === '-j' ? '{"nftables":[{"table":{"family":"inet","name":"treewall"}}]}' : '',
      );
    return ok('{"nftables":[]}');
  }
}

interface Tick {
  totals: { dPackets: number };
}

function client(id: number): ClientHandle & { ticks: Tick[] } {
  const ticks: Tick[] = [];
  return {
    id,
    ticks,
    send<E extends HelperEventName>(event: E, data: HelperEventData<E>) {
      if (event === 'counters:tick') ticks.push(data as unknown as Tick);
    },
  };
}

describe('counter subscriptions', () => {
  let dir: string;
  let nft: CountingNft;
  let service: HelperService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-counter-subscribe-'));
    nft = new CountingNft();
    service = serviceOverFakeNft(dir, nft);
    await service.start();
    await service.apply(doc);
  });
  afterEach(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a client that subscribes during a reading gets the changes after it', async () => {
    expect(nft.names.size).toBeGreaterThan(0);
    const first = client(1);
    service.clients.add(first);
    service.subscribeCounters(first, 200);
    await expect.poll(() => first.ticks.length, { timeout: 10_000 }).toBeGreaterThan(0);

    // The next reading waits; the second client subscribes while it does, which starts a
    // reading of its own. The newer one ends first, then the older one.
    nft.holding = true;
    await expect.poll(() => nft.held.length, { timeout: 10_000 }).toBe(1);
    const second = client(2);
    service.clients.add(second);
    service.subscribeCounters(second, 200);
    await expect.poll(() => nft.held.length, { timeout: 10_000 }).toBe(2);
    nft.holding = false;
    nft.held[1]!();
    await expect.poll(() => second.ticks.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const told = first.ticks.length;
    nft.held[0]!();
    // The older reading has ended (its round told the first client).
    await expect.poll(() => first.ticks.length, { timeout: 10_000 }).toBeGreaterThan(told);

    // The counters move: both clients are told (their first tick told them everything there
    // was; what counts is a tick after it).
    const since = { first: first.ticks.length, second: second.ticks.length };
    nft.packets = 5;
    const moved = (c: { ticks: Tick[] }, from: number) =>
      c.ticks.slice(from).some((t) => t.totals.dPackets > 0);
    await expect.poll(() => moved(first, since.first), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => moved(second, since.second), { timeout: 10_000 }).toBe(true);
  });
});
