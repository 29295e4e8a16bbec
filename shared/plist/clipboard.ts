// Runtime: pure (shared/). Copy and paste of rules as NeXT property-list text, the format
// IPNetSentryX put on the clipboard (DESIGN §7). Invariant: text treewall copies pastes back as
// the same rules (with fresh ids), and IPNetSentryX's own clipboard text pastes as its rules.

import type { PlistValue, Rule } from '../model/types.ts';
import { parseOpenStep, serializeOpenStep } from './openstep.ts';
import { rulesFromPlist, rulesToPlist } from './rules.ts';

/** The copied rules as IPNetSentryX clipboard text. `numbers` are the rules' outline numbers
 * (`2.3`), written as `nodeNumber` for the reader's benefit; ids are not copied, since a paste
 * makes new rules. */
export function rulesToClipboardText(rules: readonly Rule[], numbers?: readonly string[]): string {
  return serializeOpenStep(rulesToPlist(rules, { includeIds: false, style: 'text', numbers }));
}

export interface PasteOptions {
  /** The document's id generator; pasted rules always get fresh ids. */
  newId?: () => string;
}

/** Pasted text to rules: an array of rule dictionaries, or a single one. Throws
 * PlistSyntaxError (malformed text, with line and column) or RuleFormatError (unknown
 * property, relation or action, naming the rule). */
export function clipboardTextToRules(text: string, options: PasteOptions = {}): Rule[] {
  return rulesFromPlist(pastedRules(parseOpenStep(text)), { keepIds: false, newId: options.newId });
}

/** What in pasted text is the list of rules: the text itself, or, when a whole document was
 * pasted (a dictionary with a filter table), the table's top-level rules. */
function pastedRules(value: PlistValue): PlistValue {
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Uint8Array ||
    value instanceof Date
  ) {
    return value;
  }
  const table = value.filterTable ?? value.SentryDocument_filterTable;
  if (table === undefined) return value;
  if (Array.isArray(table)) return table;
  if (typeof table === 'object' && !(table instanceof Uint8Array) && !(table instanceof Date)) {
    return table.children ?? [];
  }
  return value;
}
