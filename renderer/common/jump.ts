// Runtime: browser (renderer/). "Show this rule in the outline" for every live view: clear a
// filter that would hide it, expand its ancestors, select it and scroll to it.

import { findById } from '../../shared/model/tree.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { showError } from '../store/app-store.ts';

/** Returns false (and says why) when the document has no such rule any more. */
export function jumpToRule(ruleId: string | null, number?: string | null): boolean {
  const store = useDocumentStore.getState();
  if (!ruleId || !findById(store.document.rules, ruleId)) {
    showError(
      `Rule ${number ?? ruleId ?? ''} is not in this document (it was deleted or renumbered since the rules were applied).`,
    );
    return false;
  }
  if (store.filter) store.setFilter('');
  store.revealRules([ruleId]);
  return true;
}
