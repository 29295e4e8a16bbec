// Runtime: browser (renderer/). The document being edited, its undo history and the outline's
// selection, as one zustand store.
// Invariant: every edit is one call to a pure tree op (./model-ops.ts) that returns a new document
// sharing all untouched subtrees; the previous document goes on the undo stack as it is, so a
// snapshot costs one pointer, not a copy. Expanding and collapsing change the document (the
// disclosure state is saved) but are not undo steps and do not make the document dirty.
//
// Performance: react-arborist rebuilds a node object for every visible rule whenever its `data`
// changes (hundreds of ms at 100,000 rules). So the outline gets `treeRules`, which only changes
// when the *shape* of the tree does (insert, delete, move, expand). Field edits (enable, name,
// value, menus) keep the shape; rows then read their fresh rule from `document` by position.
// `shape` tokens say which documents have the same shape: equal token, equal shape.

import { create } from 'zustand';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import {
  blankRule,
  copySubtree,
  deleteRules,
  findPath,
  findRule,
  insertBefore,
  insertFirstChild,
  insertSibling,
  moveRules,
  setAllExpanded,
  setEnabled,
  setExpanded,
  updateRule,
  type RuleUpdate,
} from './model-ops.ts';
import { emptyDocument } from './empty-document.ts';

const HISTORY_LIMIT = 500;

interface Snapshot {
  document: FirewallDocument;
  revision: number;
  shape: number;
}

export interface Placement {
  /** Insert before the anchor instead of after it (Alt/Option held). */
  before?: boolean;
  /** Insert as the anchor's first children, whatever its disclosure state. */
  asChild?: boolean;
}

export interface DocumentState {
  document: FirewallDocument;
  /** Bumped by every load (open, new, recover): says which document a slow result (the status
   * bar's problem count) belongs to. Edits keep it. */
  generation: number;
  /** The rules the outline's tree is built from: same shape as document.rules, maybe stale fields. */
  treeRules: Rule[];
  /** Token of the document's shape (see above). */
  shape: number;
  /** Bumped by every undoable edit; `dirty` compares it with the saved one. */
  revision: number;
  savedRevision: number;
  past: Snapshot[];
  future: Snapshot[];
  /** Where the document lives (a path for the host; null for an untitled document). */
  filePath: string | null;
  /** What the title bar shows (`default.treewall`, `Untitled`). */
  fileName: string;
  /** Selected rule ids in outline order, mirrored from the tree. */
  selection: string[];
  /** A rule the outline should select and scroll to (validation error clicked, paste, new). */
  reveal: { ids: string[]; seq: number } | null;
  filter: string;
}

export interface DocumentActions {
  load(
    document: FirewallDocument,
    filePath: string | null,
    fileName: string,
    dirty?: boolean,
  ): void;
  markSaved(filePath: string | null, fileName: string): void;
  /** Apply an undoable edit to the rules. The one place history is written. */
  editRules(fn: (rules: Rule[]) => Rule[], reveal?: string[], sameShape?: boolean): void;
  setSettings(patch: Partial<FirewallDocument['settings']>): void;
  toggleEnabled(ids: readonly string[]): void;
  setEnabled(ids: readonly string[], enabled: boolean): void;
  updateRule(id: string, update: RuleUpdate): void;
  toggleExpanded(id: string, recursive?: boolean): void;
  setExpanded(id: string, expanded: boolean, recursive?: boolean): void;
  expandAll(): void;
  collapseAll(): void;
  /** New blank rule placed relative to the selection; returns its id. */
  addRule(placement?: Placement): string;
  insertRules(rules: readonly Rule[], placement?: Placement): string[];
  deleteSelected(): void;
  duplicateSelected(): void;
  moveRules(dragIds: readonly string[], parentId: string | null, index: number): void;
  undo(): void;
  redo(): void;
  setSelection(ids: string[]): void;
  revealRules(ids: string[]): void;
  setFilter(filter: string): void;
}

export type DocumentStore = DocumentState & DocumentActions;

let shapeSeq = 0;
let generationSeq = 0;

const initialState = (): DocumentState => ({
  document: emptyDocument(),
  generation: ++generationSeq,
  treeRules: [],
  shape: ++shapeSeq,
  revision: 0,
  savedRevision: 0,
  past: [],
  future: [],
  filePath: null,
  fileName: 'Untitled',
  selection: [],
  reveal: null,
  filter: '',
});

let revisionSeq = 0;
let revealSeq = 0;

/** Where new or pasted rules go, following the walk-through: expanded rows take children. */
function place(
  rules: Rule[],
  anchorId: string | undefined,
  inserted: Rule[],
  p: Placement,
): Rule[] {
  const anchor = anchorId ? findRule(rules, anchorId) : null;
  if (!anchor) return p.before ? [...inserted, ...rules] : [...rules, ...inserted];
  if (p.before) return insertBefore(rules, anchor.id, inserted);
  if (p.asChild || (anchor.expanded && anchor.children.length > 0)) {
    return insertFirstChild(rules, anchor.id, inserted);
  }
  return insertSibling(rules, anchor.id, inserted);
}

/** Expand every ancestor of `ids` so the outline can show them. */
function expandAncestors(rules: Rule[], ids: readonly string[]): Rule[] {
  let out = rules;
  for (const id of ids) {
    const path = findPath(out, id);
    if (!path) continue;
    let list: readonly Rule[] = out;
    for (const i of path.slice(0, -1)) {
      const r = list[i]!;
      if (!r.expanded) out = setExpanded(out, r.id, true);
      list = r.children;
    }
  }
  return out;
}

export const useDocumentStore = create<DocumentStore>()((set, get) => {
  /** Replace the rules without touching history (disclosure state). */
  const setRulesQuietly = (rules: Rule[]) => {
    const { document } = get();
    if (rules !== document.rules) {
      set({ document: { ...document, rules }, treeRules: rules, shape: ++shapeSeq });
    }
  };

  const commit = (
    document: FirewallDocument,
    extra: Partial<DocumentState> = {},
    sameShape = false,
  ) => {
    const s = get();
    if (document === s.document) return;
    const past = [...s.past, { document: s.document, revision: s.revision, shape: s.shape }];
    if (past.length > HISTORY_LIMIT) past.shift();
    const shape = sameShape ? {} : { treeRules: document.rules, shape: ++shapeSeq };
    set({ document, revision: ++revisionSeq, past, future: [], ...shape, ...extra });
  };

  /** Make `to` the current document (undo, redo); the tree is rebuilt only if its shape differs. */
  const restore = (to: Snapshot) => {
    const s = get();
    return {
      document: to.document,
      revision: to.revision,
      shape: to.shape,
      treeRules: to.shape === s.shape ? s.treeRules : to.document.rules,
    };
  };

  const reveal = (ids: string[]) => ({ reveal: { ids, seq: ++revealSeq } });

  return {
    ...initialState(),

    load(document, filePath, fileName, dirty = false) {
      const revision = ++revisionSeq;
      set({
        ...initialState(),
        document,
        treeRules: document.rules,
        shape: ++shapeSeq,
        filePath,
        fileName,
        revision,
        savedRevision: dirty ? -1 : revision,
      });
    },

    markSaved(filePath, fileName) {
      set({ savedRevision: get().revision, filePath, fileName });
    },

    editRules(fn, revealIds, sameShape = false) {
      const { document } = get();
      let rules = fn(document.rules);
      if (rules === document.rules) return;
      if (revealIds) rules = expandAncestors(rules, revealIds);
      commit({ ...document, rules }, revealIds ? reveal(revealIds) : {}, sameShape && !revealIds);
    },

    setSettings(patch) {
      const { document } = get();
      commit({ ...document, settings: { ...document.settings, ...patch } }, {}, true);
    },

    toggleEnabled(ids) {
      const first = ids[0] && findRule(get().document.rules, ids[0]);
      if (first) get().setEnabled(ids, !first.enabled);
    },

    setEnabled(ids, enabled) {
      get().editRules((rules) => setEnabled(rules, ids, enabled), undefined, true);
    },

    updateRule(id, update) {
      // Only `expanded` changes the shape; names, values and menus never do.
      get().editRules((rules) => updateRule(rules, id, update), undefined, !('expanded' in update));
    },

    toggleExpanded(id, recursive = false) {
      const rule = findRule(get().document.rules, id);
      if (rule) get().setExpanded(id, !rule.expanded, recursive);
    },

    setExpanded(id, expanded, recursive = false) {
      setRulesQuietly(setExpanded(get().document.rules, id, expanded, recursive));
    },

    expandAll() {
      setRulesQuietly(setAllExpanded(get().document.rules, true));
    },

    collapseAll() {
      setRulesQuietly(setAllExpanded(get().document.rules, false));
    },

    addRule(placement = {}) {
      return get().insertRules([blankRule()], placement)[0] ?? '';
    },

    insertRules(inserted, placement = {}) {
      const { selection } = get();
      const anchor = placement.before ? selection[0] : selection[selection.length - 1];
      const fresh = inserted.map((r) => copySubtree(r));
      const ids = fresh.map((r) => r.id);
      get().editRules((rules) => place(rules, anchor, fresh, placement), ids);
      return ids;
    },

    deleteSelected() {
      const { selection } = get();
      if (selection.length === 0) return;
      get().editRules((rules) => deleteRules(rules, selection));
      set({ selection: [] });
    },

    duplicateSelected() {
      const { selection, document } = get();
      const last = selection[selection.length - 1];
      if (!last) return;
      const copies = selection
        .map((id) => findRule(document.rules, id))
        .filter((r): r is Rule => r !== null)
        .map((r) => copySubtree(r));
      get().editRules(
        (rules) => insertSibling(rules, last, copies),
        copies.map((r) => r.id),
      );
    },

    moveRules(dragIds, parentId, index) {
      get().editRules((rules) => moveRules(rules, dragIds, parentId, index), [...dragIds]);
    },

    undo() {
      const s = get();
      const previous = s.past[s.past.length - 1];
      if (!previous) return;
      set({
        ...restore(previous),
        past: s.past.slice(0, -1),
        future: [{ document: s.document, revision: s.revision, shape: s.shape }, ...s.future],
      });
    },

    redo() {
      const s = get();
      const next = s.future[0];
      if (!next) return;
      set({
        ...restore(next),
        past: [...s.past, { document: s.document, revision: s.revision, shape: s.shape }],
        future: s.future.slice(1),
      });
    },

    setSelection(ids) {
      set({ selection: ids });
    },

    revealRules(ids) {
      setRulesQuietly(expandAncestors(get().document.rules, ids));
      set(reveal(ids));
    },

    setFilter(filter) {
      set({ filter });
    },
  };
});

/** Back to an empty store (tests). */
export const resetDocumentStore = (): void => useDocumentStore.setState(initialState());

export const selectDirty = (s: DocumentState): boolean => s.revision !== s.savedRevision;
