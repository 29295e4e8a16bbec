// Runtime: plain Node, as root. The qdiscs behind shaping Rate limit out rules
// (shared/compiler/shaping.ts): every interface of the helper's network namespace but `lo` gets
// an HTB root qdisc with handle 7477: (`default 0`: a packet no rule classified leaves unshaped,
// through HTB's direct queue) and one class 7477:N per shaped rule at the rule's rate (rate =
// ceil, quantum one full-size frame); the rule's nft line sets the packet's priority to its class.
// Invariants:
// - Only qdiscs with handle 7477: are treewall's. An interface whose root qdisc is the kernel's
//   default (handle 0:, e.g. noqueue, pfifo_fast, fq_codel, mq) is taken over; deleting ours later
//   gives it back its default. An interface with a root qdisc someone else set is left alone and
//   the apply says so (a warning naming the interface): never replaced, never deleted.
// - No shaped rule in force (stop, a rollback or an apply without one): every 7477: root goes.
// - tc runs from the system directories, arguments as an array (no shell).

import { execFile } from 'node:child_process';
import { classId, SHAPING_MAJOR, type ShapedClass } from '../../shared/compiler/shaping.ts';
import { systemProgram } from './programs.ts';

export type TcRunner = (args: string[]) => Promise<string>;

/** Run `tc ARGS`; resolves with stdout, rejects with its stderr. */
export const runTc: TcRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile(systemProgram('tc'), args, { timeout: 10_000 }, (error, out, stderr) => {
      if (error)
        reject(new Error(`tc ${args.join(' ')}: ${String(stderr).trim() || error.message}`));
      else resolve(String(out));
    });
  });

const OURS = `${SHAPING_MAJOR.toString(16)}:`;

interface QdiscInfo {
  kind: string;
  handle: string;
  dev: string;
  root?: boolean;
}

export class Shaper {
  /** Known to have no qdisc of ours (after a sync with no classes that succeeded). */
  private clear = false;

  constructor(private readonly tc: TcRunner = runTc) {}

  private async roots(): Promise<QdiscInfo[]> {
    const listed = await this.tc(['-j', 'qdisc', 'show']);
    const list = (listed.trim() === '' ? [] : JSON.parse(listed)) as QdiscInfo[];
    return list.filter((q) => q.root === true && q.dev !== 'lo');
  }

  /**
   * Make the interfaces' qdiscs match `classes` (empty: remove ours). Resolves with warnings
   * (interfaces left alone, tc failures); never throws for one interface's trouble.
   */
  async sync(classes: readonly ShapedClass[]): Promise<string[]> {
    // Nothing to shape and nothing of ours left since the last look: no tc run (an apply of a
    // document without shaped rules costs nothing here). The first call always looks, so a root
    // an earlier helper left behind goes.
    if (classes.length === 0 && this.clear) return [];
    this.clear = false;
    const warnings: string[] = [];
    let roots: QdiscInfo[];
    try {
      roots = await this.roots();
    } catch (error) {
      return classes.length > 0 ? [`Rate limit out: ${(error as Error).message}`] : [];
    }
    for (const q of roots) {
      const ours = q.handle === OURS;
      try {
        if (classes.length === 0) {
          if (ours) await this.tc(['qdisc', 'del', 'dev', q.dev, 'root']);
          continue;
        }
        if (!ours && q.handle !== '0:') {
          warnings.push(
            `Rate limit out: interface ${q.dev} is not shaped: it has a root qdisc treewall did not create (${q.kind} ${q.handle}), which treewall leaves alone`,
          );
          continue;
        }
        if (!ours || q.kind !== 'htb') {
          await this.tc([
            'qdisc',
            'replace',
            'dev',
            q.dev,
            'root',
            'handle',
            OURS,
            'htb',
            'default',
            '0',
          ]);
        }
        await this.syncClasses(q.dev, classes);
      } catch (error) {
        warnings.push(`Rate limit out on ${q.dev}: ${(error as Error).message}`);
      }
    }
    if (classes.length === 0 && warnings.length === 0) this.clear = true;
    return warnings;
  }

  private async syncClasses(dev: string, classes: readonly ShapedClass[]): Promise<void> {
    // tc prints nothing (not `[]`) when there is no class.
    const listed = await this.tc(['-j', 'class', 'show', 'dev', dev, 'parent', OURS]);
    const present = (listed.trim() === '' ? [] : JSON.parse(listed)) as { handle: string }[];
    const wanted = new Set(classes.map((c) => classId(c.minor)));
    for (const c of present) {
      if (!wanted.has(c.handle)) await this.tc(['class', 'del', 'dev', dev, 'classid', c.handle]);
    }
    for (const c of classes) {
      const rate = `${c.bitsPerSecond}bit`;
      await this.tc([
        'class',
        'replace',
        'dev',
        dev,
        'parent',
        OURS,
        'classid',
        classId(c.minor),
        'htb',
        'rate',
        rate,
        'ceil',
        rate,
        'quantum',
        '1514',
      ]);
    }
  }
}
