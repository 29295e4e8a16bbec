// Runtime: browser (renderer/), both sides of a worker boundary; pure (tested under Node).
// A copy of the document inside the document worker, kept up to date by the edited paths only.
// The main thread numbers every rule object it has sent (a handle); the model's tree ops replace
// only the rules on an edited path (structural sharing), so after an edit only those few rules
// are new and sent, each naming its children by handle. A 100,000-rule document goes over once,
// in slices; posting the whole document on every check cost the main thread a structured clone
// of 0.3-0.8 s, and encoding it as one string 0.1-0.25 s plus the string's copy.
// Invariant: after `MirrorReceiver.apply` of every message `MirrorSender.sync` produced for a
// document, in order, `receiver.document(root)` deep-equals that document.

import type {
  DocumentSettings,
  FirewallDocument,
  PlistValue,
  Rule,
} from '../../shared/model/types.ts';

/** A rule as sent: its fields, its children by handle. */
export interface RulePatch {
  h: number;
  rule: Omit<Rule, 'children'>;
  children: number[];
}

/** What the receiver needs to put a document together from its rules. */
export interface MirrorRoot {
  /** Bumped when the sender starts over (the receiver then forgets every handle). */
  epoch: number;
  rules: number[];
  settings: DocumentSettings;
  extra?: Record<string, PlistValue>;
}

export type MirrorMessage = { kind: 'rules'; epoch: number; patches: RulePatch[] };

/** How many rules are sent between two looks at the budget. */
const CHECK_EVERY = 256;

export class MirrorSender {
  private handles = new Map<Rule, number>();
  private next = 1;
  private epoch = 0;
  /** The map's size when it was last started over or first complete. */
  private baseline = 0;

  /**
   * The messages that bring the receiver up to `document` (post-order: children before their
   * parents), and the root when it is complete; `root` is null when `outOfTime()` said so first
   * (send the messages, call again: what was sent is remembered).
   */
  sync(
    document: FirewallDocument,
    outOfTime: () => boolean = () => false,
  ): { messages: MirrorMessage[]; root: MirrorRoot | null } {
    if (this.baseline > 0 && this.handles.size > 2 * this.baseline + 10_000) {
      // Rules of old documents and replaced paths: start over (rare; the receiver forgets too).
      this.handles = new Map();
      this.epoch++;
      this.baseline = 0;
    }
    const patches: RulePatch[] = [];
    const messages: MirrorMessage[] = [];
    const flush = () => {
      if (patches.length > 0) {
        messages.push({ kind: 'rules', epoch: this.epoch, patches: patches.splice(0) });
      }
    };
    const stack: { rule: Rule; next: number }[] = [];
    for (const top of document.rules) {
      if (this.handles.has(top)) continue;
      stack.push({ rule: top, next: 0 });
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]!;
        const children = frame.rule.children;
        while (frame.next < children.length && this.handles.has(children[frame.next]!)) {
          frame.next++;
        }
        if (frame.next < children.length) {
          stack.push({ rule: children[frame.next]!, next: 0 });
          continue;
        }
        stack.pop();
        const h = this.next++;
        const { children: _children, ...fields } = frame.rule;
        patches.push({ h, rule: fields, children: children.map((c) => this.handles.get(c)!) });
        this.handles.set(frame.rule, h);
        if (patches.length % CHECK_EVERY === 0 && outOfTime()) {
          flush();
          return { messages, root: null };
        }
      }
    }
    flush();
    if (this.baseline === 0) this.baseline = this.handles.size;
    const root: MirrorRoot = {
      epoch: this.epoch,
      rules: document.rules.map((r) => this.handles.get(r)!),
      settings: document.settings,
    };
    if (document.extra !== undefined) root.extra = document.extra;
    return { messages, root };
  }
}

export class MirrorReceiver {
  private rules = new Map<number, Rule>();
  private epoch = 0;

  apply(message: MirrorMessage): void {
    this.follow(message.epoch);
    for (const p of message.patches) {
      const rule = { ...p.rule, children: p.children.map((h) => this.rules.get(h)!) } as Rule;
      this.rules.set(p.h, rule);
    }
  }

  /** The document `root` names. (Rules of older documents stay until the sender starts over,
   * as its own map of handles does.) */
  document(root: MirrorRoot): FirewallDocument {
    this.follow(root.epoch);
    const document: FirewallDocument = {
      rules: root.rules.map((h) => this.rules.get(h)!),
      settings: root.settings,
    };
    if (root.extra !== undefined) document.extra = root.extra;
    return document;
  }

  private follow(epoch: number): void {
    if (epoch === this.epoch) return;
    this.rules = new Map();
    this.epoch = epoch;
  }
}
