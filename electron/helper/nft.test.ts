// Nft with a fake `nft` (no root): a refused transaction is kept for diagnosis, private, named in
// the error, and bounded in number; an accepted one leaves no file behind. The next load's nft
// started ahead (a stand-in reading the FIFO): it gets the whole program, a refusal is kept, and
// one that ended without it is not waited for. And the table fingerprint: what changes it and
// what does not.
import { spawn } from 'node:child_process';
import {
  constants,
  promises as fsp,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getPriority } from 'node:os';
import {
  LOAD_PRIORITY,
  Nft,
  NftError,
  REFUSED_KEPT,
  systemNft,
  tableFingerprint,
  type NftResult,
  type NftRunner,
  type StartedNft,
} from './nft.ts';
import { kernelSkipReason, kernelTestsAvailable } from '../testing/netns.ts';
import { waitFor } from '../testing/processes.ts';

class FakeNft implements NftRunner {
  refuse = false;
  async run(args: string[]): Promise<NftResult> {
    if (this.refuse && args[1] === '-f') {
      return { code: 1, stdout: '', stderr: 'Error: Could not process rule: Invalid argument\n' };
    }
    return { code: 0, stdout: '', stderr: '' };
  }
}

const transaction = (n: number) => ({
  nftables: [
    { metainfo: { json_schema_version: 1 } },
    { add: { table: { family: 'inet', name: `t${n}` } } },
  ],
});

describe('Nft and a refused transaction', () => {
  let dir: string;
  let fake: FakeNft;
  let nft: Nft;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tw-nft-'));
    fake = new FakeNft();
    nft = new Nft(fake, dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves nothing behind when nft accepts', async () => {
    await nft.applyJson(transaction(1));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the refused file (0600, in the state folder) and names it in the error', async () => {
    fake.refuse = true;
    const error = await nft.applyJson(transaction(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NftError);
    const { message, keptFile } = error as NftError;
    expect(keptFile).toBeDefined();
    expect(keptFile!.startsWith(dir + '/refused-')).toBe(true);
    expect(message).toContain('Invalid argument');
    expect(message).toContain(keptFile!);
    expect(statSync(keptFile!).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(keptFile!, 'utf8'))).toEqual(transaction(1));
    expect(readdirSync(dir).filter((n) => n.startsWith('.nft-'))).toEqual([]);
  });

  it(`keeps only the newest ${REFUSED_KEPT} refused transactions`, async () => {
    fake.refuse = true;
    const kept: string[] = [];
    for (let n = 0; n < REFUSED_KEPT + 3; n++) {
      const error = (await nft.applyJson(transaction(n)).catch((e: unknown) => e)) as NftError;
      kept.push(error.keptFile!);
    }
    // The survivors are the last ones refused, even within one millisecond.
    expect(
      readdirSync(dir)
        .map((n) => join(dir, n))
        .sort(),
    ).toEqual(kept.slice(-REFUSED_KEPT));
    expect(JSON.parse(readFileSync(kept.at(-1)!, 'utf8'))).toEqual(transaction(REFUSED_KEPT + 2));
  });
});

describe('tableFingerprint', () => {
  const list = (packets: number, elems: string[], extraRule = false) => ({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'treewall', handle: 1 } },
      {
        counter: {
          family: 'inet',
          name: 'c_a',
          table: 'treewall',
          handle: 2,
          packets,
          bytes: packets * 10,
        },
      },
      { set: { family: 'inet', name: 'trig4', table: 'treewall', handle: 3, elem: elems } },
      ...(extraRule
        ? [
            {
              rule: { family: 'inet', table: 'treewall', chain: 'input', expr: [{ accept: null }] },
            },
          ]
        : []),
    ],
  });
  it('ignores counters, handles and dynamic set contents but not rules', () => {
    expect(tableFingerprint(list(1, []))).toBe(tableFingerprint(list(99, ['10.0.0.1'])));
    expect(tableFingerprint(list(1, []))).not.toBe(tableFingerprint(list(1, [], true)));
  });
});

/**
 * A stand-in for the nft started ahead: `sh` that reads its FIFO (the last argument) to the end
 * into `got`, then exits with `code` (1: refused, with a message).
 */
class AheadNft extends FakeNft {
  started: string[][] = [];
  code = 0;
  constructor(private readonly got: string) {
    super();
  }
  start(args: string[]): StartedNft {
    this.started.push(args);
    const script = `cat "$1" > "$2"; [ "$3" = 0 ] || echo 'Error: refused here' >&2; exit "$3"`;
    const child = spawn(
      '/bin/sh',
      ['-c', script, 'sh', args.at(-1)!, this.got, String(this.code)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const err: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const result = new Promise<NftResult>((resolve) =>
      child.on('close', (code) =>
        resolve({ code: code ?? -1, stdout: '', stderr: Buffer.concat(err).toString() }),
      ),
    );
    return { pid: child.pid, result, kill: () => void child.kill('SIGKILL') };
  }
}

describe('Nft with the next load started ahead (FIFO)', () => {
  let dir: string;
  let got: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tw-nft-'));
    got = join(mkdtempSync(join(tmpdir(), 'tw-nft-got-')), 'got.json');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(got, '..'), { recursive: true, force: true });
  });

  const ready = async (nft: Nft): Promise<void> => {
    nft.prepareLoad();
    await waitFor('the nft started ahead', async () => (nft.loadReady ? true : undefined));
  };

  it('hands the whole program to the nft started ahead, through a 0600 FIFO, no file', async () => {
    const ahead = new AheadNft(got);
    const nft = new Nft(ahead, dir);
    await ready(nft);
    const fifo = ahead.started[0]!.at(-1)!;
    expect(ahead.started[0]).toEqual(['-j', '-f', fifo]);
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(statSync(fifo).mode & 0o777).toBe(0o600);
    // Larger than a pipe's buffer: the write waits for the reader, and all of it arrives.
    const big = {
      nftables: Array.from({ length: 20_000 }, (_, i) => ({ add: { table: { name: `t${i}` } } })),
    };
    await nft.applyJson(big);
    expect(JSON.parse(readFileSync(got, 'utf8'))).toEqual(big);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.fifo'))).toEqual([]);
    // Used once: the next load starts its own (here, none prepared: a file).
    await nft.applyJson(transaction(2));
    expect(ahead.started).toHaveLength(1);
  });

  it('keeps a program refused through the FIFO as a refused file, named in the error', async () => {
    const ahead = new AheadNft(got);
    ahead.code = 1;
    const nft = new Nft(ahead, dir);
    await ready(nft);
    const error = await nft.applyJson(transaction(7)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NftError);
    const { message, keptFile } = error as NftError;
    expect(message).toContain('refused here');
    expect(keptFile!.startsWith(dir + '/refused-')).toBe(true);
    expect(statSync(keptFile!).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(keptFile!, 'utf8'))).toEqual(transaction(7));
  });

  it('with a gate, hands over all but the closing brace until it opens; a shut gate loads nothing', async () => {
    const program = {
      nftables: Array.from({ length: 20_000 }, (_, i) => ({ add: { table: { name: `t${i}` } } })),
    };
    const text = JSON.stringify(program);
    const gated = () => {
      let open!: () => void;
      let shut!: (reason: Error) => void;
      const gate = new Promise<void>((resolve, reject) => {
        open = resolve;
        shut = reject;
      });
      return { gate, open, shut };
    };
    const received = () => statSync(got, { throwIfNoEntry: false })?.size ?? 0;

    // Opened: the stand-in had everything but the last byte, then gets it.
    const ahead = new AheadNft(got);
    const nft = new Nft(ahead, dir);
    await ready(nft);
    const first = gated();
    const { done } = await nft.startJson(program, first.gate);
    await waitFor('all but the last byte', async () =>
      received() === text.length - 1 ? true : undefined,
    );
    expect(readFileSync(got, 'utf8')).toBe(text.slice(0, -1));
    expect(() => JSON.parse(readFileSync(got, 'utf8')) as unknown).toThrow();
    first.open();
    await done;
    expect(readFileSync(got, 'utf8')).toBe(text);

    // Shut: that nft is killed, `done` rejects with the reason, the JSON stays cut.
    rmSync(got, { force: true });
    await ready(nft);
    const second = gated();
    const started = ahead.started.length;
    const load = await nft.startJson(program, second.gate);
    expect(ahead.started).toHaveLength(started);
    await waitFor('all but the last byte', async () =>
      received() === text.length - 1 ? true : undefined,
    );
    second.shut(new Error('invalid document'));
    await expect(load.done).rejects.toThrow('invalid document');
    expect(readFileSync(got, 'utf8')).toBe(text.slice(0, -1));
    expect(readdirSync(dir).filter((f) => !f.endsWith('.fifo'))).toEqual([]);
  });

  it('with a gate and no nft started ahead, writes no file before it opens', async () => {
    const fake = new FakeNft();
    const calls: string[][] = [];
    const run = fake.run.bind(fake);
    fake.run = (args) => {
      calls.push(args);
      return run(args);
    };
    const nft = new Nft(fake, dir);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { done } = await nft.startJson(transaction(4), gate);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    open();
    await done;
    expect(calls).toHaveLength(1);
  });

  it('loads through a file when the nft started ahead has ended', async () => {
    const ahead = new AheadNft(got);
    const nft = new Nft(ahead, dir);
    await ready(nft);
    // It ends without its program: the load does not wait for it.
    const fifo = ahead.started[0]!.at(-1)!;
    const writer = await waitFor('the stand-in to read its FIFO', () =>
      fsp.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined),
    );
    await writer.close(); // the stand-in reads an empty program and exits
    await waitFor('it to end', async () => (nft.loadReady ? undefined : true));
    await nft.applyJson(transaction(3));
    expect(ahead.started).toHaveLength(1);
    expect(readFileSync(got, 'utf8')).toBe('');
  });
});

describe.skipIf(!kernelTestsAvailable)(
  `the system nft started ahead${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    it('runs above the helper, at LOAD_PRIORITY, and ends when killed', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tw-nft-prio-'));
      try {
        // A path nobody writes: nft waits for it (a FIFO), as the one started ahead does.
        const fifo = join(dir, 'load.fifo');
        const mk = spawn('mkfifo', ['-m', '600', fifo]);
        await new Promise((resolve) => mk.on('close', resolve));
        const started = systemNft().start!(['-j', '-f', fifo]);
        expect(started).toBeDefined();
        const pid = started!.pid!;
        expect(getPriority(pid)).toBe(LOAD_PRIORITY);
        expect(LOAD_PRIORITY).toBeLessThan(getPriority(0));
        started!.kill();
        expect((await started!.result).code).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
