import { beforeEach, describe, expect, it } from 'vitest';
import { createRule, flatten, numberRules } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import { WALKTHROUGH_RULE_2_3 } from '../../e2e/pages/documents.ts';
import { filterRules } from '../outline/filter.ts';
import { rulesForCopy, rulesToText, textToRules } from './clipboard-codec.ts';
import { resetDocumentStore, selectDirty, useDocumentStore } from './document-store.ts';
import { countRulesAndProblems, documentProblems } from './validation.ts';

const s = () => useDocumentStore.getState();

/** 1 a (expanded) > 1.1 b, 1.2 c;  2 d (collapsed) > 2.1 e;  3 f */
function sample(): FirewallDocument {
  const r = (name: string, children: Rule[] = [], expanded = false) =>
    createRule({ id: name, name, children, expanded });
  return {
    rules: [r('a', [r('b'), r('c')], true), r('d', [r('e')]), r('f')],
    settings: { ...DEFAULT_SETTINGS },
  };
}

/** `name@number` for every rule in outline order. */
const outline = (): string[] => {
  const numbers = numberRules(s().document.rules);
  return flatten(s().document.rules).map((r) => `${r.name}@${numbers.get(r.id)}`);
};

beforeEach(() => {
  resetDocumentStore();
  s().load(sample(), 'sample.treewall', 'sample.treewall');
});

describe('placing new rules', () => {
  it('adds after a leaf, as a child of an expanded rule, after a collapsed one', () => {
    s().setSelection(['f']);
    s().addRule();
    expect(outline()).toHaveLength(7);
    expect(outline()[6]).toBe('@4');

    s().setSelection(['a']); // expanded: the new rule becomes its first child
    const id = s().addRule();
    expect(numberRules(s().document.rules).get(id)).toBe('1.1');

    s().setSelection(['d']); // collapsed: a sibling after it
    const id2 = s().addRule();
    expect(numberRules(s().document.rules).get(id2)).toBe('3');
  });

  it('inserts before with Alt and as a child on request', () => {
    s().setSelection(['c']);
    const before = s().addRule({ before: true });
    expect(numberRules(s().document.rules).get(before)).toBe('1.2');
    s().setSelection(['f']);
    const child = s().addRule({ asChild: true });
    expect(numberRules(s().document.rules).get(child)).toBe('3.1');
    expect(s().document.rules[2]!.expanded).toBe(true);
  });

  it('asks the outline to reveal what it added', () => {
    s().setSelection(['f']);
    const id = s().addRule();
    expect(s().reveal?.ids).toEqual([id]);
  });
});

describe('undo and redo', () => {
  it('does not count a drop where the rule already is as an edit', () => {
    const before = s().document;
    s().moveRules(['c'], 'a', 1); // just above itself
    s().moveRules(['c'], 'a', 2); // just below itself
    s().moveRules(['d'], null, 1);
    expect(s().document).toBe(before);
    expect(selectDirty(s())).toBe(false);
    expect(s().past).toHaveLength(0);
    s().moveRules(['c'], 'a', 0);
    expect(selectDirty(s())).toBe(true);
    expect(s().past).toHaveLength(1);
  });
  it('undoes and redoes every edit, one step each, sharing untouched subtrees', () => {
    const original = s().document;
    s().toggleEnabled(['d']);
    s().updateRule('b', { value: '22', property: 'Dest port' });
    s().moveRules(['f'], 'a', 0);
    expect(outline()).toEqual(['a@1', 'f@1.1', 'b@1.2', 'c@1.3', 'd@2', 'e@2.1']);
    // Structural sharing: d's subtree is the same object after an edit elsewhere.
    expect(s().document.rules[1]!.children).toBe(original.rules[1]!.children);

    s().undo();
    expect(outline()).toEqual(['a@1', 'b@1.1', 'c@1.2', 'd@2', 'e@2.1', 'f@3']);
    s().undo();
    expect(s().document.rules[0]!.children[0]!.value).toBe('');
    s().undo();
    expect(s().document).toBe(original);
    s().undo(); // nothing left: no change
    expect(s().document).toBe(original);

    s().redo();
    expect(s().document.rules[1]!.enabled).toBe(false);
    s().redo();
    s().redo();
    expect(outline()[1]).toBe('f@1.1');
    // A new edit drops the redo stack.
    s().undo();
    s().deleteSelected();
    s().setSelection(['e']);
    s().deleteSelected();
    expect(s().future).toEqual([]);
  });

  it('tracks dirtiness by revision: undo back to the saved state is clean', () => {
    expect(selectDirty(s())).toBe(false);
    s().toggleEnabled(['b']);
    expect(selectDirty(s())).toBe(true);
    s().undo();
    expect(selectDirty(s())).toBe(false);
    s().redo();
    s().markSaved('sample.treewall', 'sample.treewall');
    expect(selectDirty(s())).toBe(false);
  });

  it('expanding and collapsing are neither undo steps nor changes', () => {
    s().toggleExpanded('d');
    expect(s().document.rules[1]!.expanded).toBe(true);
    s().collapseAll();
    expect(s().document.rules[0]!.expanded).toBe(false);
    expect(s().past).toEqual([]);
    expect(selectDirty(s())).toBe(false);
  });

  it('Alt-expands a whole subtree', () => {
    s().load(
      {
        rules: [
          createRule({
            id: 'x',
            children: [
              createRule({ id: 'y', children: [createRule({ id: 'z' })], expanded: false }),
            ],
            expanded: false,
          }),
        ],
        settings: { ...DEFAULT_SETTINGS },
      },
      null,
      'Untitled',
    );
    s().setExpanded('x', true, true);
    expect(s().document.rules[0]!.expanded).toBe(true);
    expect(s().document.rules[0]!.children[0]!.expanded).toBe(true);
  });
});

describe('the tree shape given to the outline', () => {
  it('keeps treeRules for field edits and replaces it when the shape changes', () => {
    const tree = s().treeRules;
    s().toggleEnabled(['b']);
    s().updateRule('c', { value: '80', property: 'Dest port' });
    expect(s().treeRules).toBe(tree);
    s().setSelection(['f']);
    s().addRule();
    expect(s().treeRules).toBe(s().document.rules);
    const afterAdd = s().treeRules;
    s().toggleExpanded('d');
    expect(s().treeRules).not.toBe(afterAdd);
    expect(s().treeRules).toBe(s().document.rules);
  });

  it('undo rebuilds the tree only when the restored shape differs', () => {
    s().toggleEnabled(['b']);
    const tree = s().treeRules;
    s().undo(); // a field edit: same shape
    expect(s().treeRules).toBe(tree);
    s().redo();
    s().collapseAll(); // shape changed after the edit...
    s().undo(); // ...so restoring the older document rebuilds the tree, expanded as it was
    expect(s().treeRules).toBe(s().document.rules);
    expect(s().document.rules[0]!.expanded).toBe(true);
    s().redo();
    expect(s().treeRules).toBe(s().document.rules);
    expect(s().document.rules[0]!.expanded).toBe(false);
  });
});

describe('delete, duplicate, move', () => {
  it('deletes the selection with subtrees', () => {
    s().setSelection(['d', 'b']);
    s().deleteSelected();
    expect(outline()).toEqual(['a@1', 'c@1.1', 'f@2']);
    expect(s().selection).toEqual([]);
  });

  it('duplicates with fresh ids after the last selected rule', () => {
    s().setSelection(['d']);
    s().duplicateSelected();
    expect(outline()).toEqual(['a@1', 'b@1.1', 'c@1.2', 'd@2', 'e@2.1', 'd@3', 'e@3.1', 'f@4']);
    const ids = flatten(s().document.rules).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses to drop a rule into its own subtree', () => {
    const before = s().document;
    s().moveRules(['a'], 'b', 0);
    expect(s().document).toBe(before);
    expect(s().past).toEqual([]);
  });

  it('reveals a moved rule by expanding its new parent', () => {
    s().moveRules(['f'], 'd', 0);
    expect(s().document.rules[1]!.expanded).toBe(true);
    expect(outline()).toEqual(['a@1', 'b@1.1', 'c@1.2', 'd@2', 'f@2.1', 'e@2.2']);
  });
});

describe('copy and paste', () => {
  it('copies a collapsed parent with its subtree, an expanded one with only selected rows', () => {
    const rules = s().document.rules;
    expect(rulesForCopy(rules, new Set(['d'])).map((r) => r.children.length)).toEqual([1]);
    const partial = rulesForCopy(rules, new Set(['a', 'c']));
    expect(partial).toHaveLength(1);
    expect(partial[0]!.children.map((r) => r.name)).toEqual(['c']);
    // Selected children of an unselected parent are lifted to the top.
    expect(rulesForCopy(rules, new Set(['b', 'c'])).map((r) => r.name)).toEqual(['b', 'c']);
  });

  it('pastes copied text back as the same rules with fresh ids', () => {
    const text = rulesToText(rulesForCopy(s().document.rules, new Set(['d'])));
    s().setSelection(['f']);
    s().insertRules(textToRules(text));
    expect(outline()).toEqual(['a@1', 'b@1.1', 'c@1.2', 'd@2', 'e@2.1', 'f@3', 'd@4', 'e@4.1']);
    const ids = flatten(s().document.rules).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("reads the walk-through's rule 2.3", () => {
    const [rule] = textToRules(WALKTHROUGH_RULE_2_3);
    expect(rule).toMatchObject({
      name: 'promiscuous resets',
      property: 'Direction',
      value: 'inbound',
      action: '->',
    });
    expect(rule!.children[0]).toMatchObject({
      property: 'TCP header flags',
      value: 'rst',
      action: 'Delay',
    });
  });

  it('reports malformed text with line and column', () => {
    expect(() => textToRules('(\n{\nenabled = 1\n}\n)')).toThrow(/line \d+, column \d+/);
  });
});

describe('validation and filter', () => {
  it('lists problems with their rule numbers, re-validating only changed rules', () => {
    expect(documentProblems(s().document.rules)).toEqual([]);
    s().updateRule('e', { property: 'Dest port', value: '70000' });
    const problems = documentProblems(s().document.rules);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ ruleId: 'e', number: '2.1', field: 'value' });
    expect(problems[0]!.message).toMatch(/70000/);
  });

  it('filters to matches and their ancestors, keeping the document numbers', () => {
    const view = filterRules(s().document.rules, 'e');
    expect(view.matches).toBeGreaterThan(0);
    const byNumber = filterRules(s().document.rules, '2.1');
    expect(flatten(byNumber.rules).map((r) => byNumber.numbers.get(r.id))).toEqual(['2', '2.1']);
  });
});

describe('status bar counts', () => {
  it('counts rules and problems, and recounts after an edit', async () => {
    expect(await countRulesAndProblems(s().document.rules, () => false)).toEqual({
      rules: 6,
      problems: 0,
    });
    s().updateRule('e', { property: 'Dest port', value: '70000' });
    expect(await countRulesAndProblems(s().document.rules, () => false)).toEqual({
      rules: 6,
      problems: 1,
    });
    s().undo();
    expect(await countRulesAndProblems(s().document.rules, () => false)).toEqual({
      rules: 6,
      problems: 0,
    });
  });
});
