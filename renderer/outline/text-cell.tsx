// Runtime: browser (renderer/). A text cell (name, value, parameter) and its in-place editor.
// The editor validates the draft as you type (the rule with the draft in place goes through the
// same validation as the document), commits on Enter, Tab or blur, and cancels on Escape.
// An invalid value can still be committed: the row then shows the problem and Apply is blocked,
// which is how the original behaves and lets a user finish typing elsewhere.

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Rule } from '../../shared/model/types.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { fieldProblem } from '../store/validation.ts';
import type { RuleContext } from '../../shared/model/validate.ts';
import { useUiStore, type TextField } from './ui-store.ts';
import { goToField, nextField, type Field } from './field-nav.ts';
import { PROPERTY_INFO } from '../../shared/model/vocabulary-table.ts';
import type { PropertyName } from '../../shared/model/vocabulary.ts';

/** Names the value parser also takes, beyond the vocabulary's examples. */
const EXTRA_SUGGESTIONS: Partial<Record<PropertyName, readonly string[]>> = {
  Protocol: ['tcp', 'udp', 'icmp', 'ipv6-icmp', 'gre', 'esp', 'ah', 'sctp'],
  'TCP header flags': ['syn', 'ack', 'fin', 'rst', 'psh', 'urg'],
};

/** Values offered while editing a value: the property's examples and names, each one checked
 * by the same validation as the document (so nothing offered is refused). */
function valueSuggestions(rule: Rule, context: RuleContext): string[] {
  const candidates = [
    ...(PROPERTY_INFO[rule.property]?.examples ?? []),
    ...(EXTRA_SUGGESTIONS[rule.property] ?? []),
  ];
  return [...new Set(candidates)].filter(
    (v) => v !== '' && !fieldProblem({ ...rule, value: v }, 'value', context),
  );
}

export function TextCell(props: {
  rule: Rule;
  field: TextField;
  editing: boolean;
  mono: boolean;
  context: RuleContext;
  problem: string | undefined;
  /** The problem is a compiler warning (amber), not an error. */
  warning?: boolean;
}) {
  const { rule, field, editing, mono, problem, context } = props;
  const mark = problem ? (props.warning ? 'cell-warned' : 'cell-invalid') : '';
  const cls = `cell c-${field} ${mono ? 'mono' : ''} ${mark}`;
  if (editing) return <TextEditor rule={rule} field={field} className={cls} context={context} />;
  return (
    <div
      className={cls}
      role="gridcell"
      data-testid={`cell-${field}`}
      title={problem ?? (rule[field] || undefined)}
      onDoubleClick={(e) => {
        e.stopPropagation();
        useUiStore.getState().startEdit(rule.id, field);
      }}
    >
      {rule[field]}
    </div>
  );
}

function TextEditor({
  rule,
  field,
  className,
  context,
}: {
  rule: Rule;
  field: TextField;
  className: string;
  context: RuleContext;
}) {
  const [draft, setDraft] = useState(rule[field]);
  const input = useRef<HTMLInputElement>(null);
  const done = useRef(false);
  const problem = fieldProblem({ ...rule, [field]: draft }, field, context);
  // A list to choose from for the properties with few legal values (Direction, Include,
  // Protocol, TCP header flags, ...): the browser's suggestion list under the field.
  const [suggestions] = useState(() => (field === 'value' ? valueSuggestions(rule, context) : []));
  const listId = suggestions.length ? `suggest-${rule.id}` : undefined;

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const finish = (commit: boolean, next?: Field) => {
    if (done.current) return;
    done.current = true;
    const row = input.current?.closest<HTMLElement>('[role="row"]');
    if (commit && draft !== rule[field]) {
      useDocumentStore.getState().updateRule(rule.id, { [field]: draft });
    }
    if (next) {
      useUiStore.getState().stopEdit();
      // The menu of a menu field is placed at its cell: after the commit has rendered.
      requestAnimationFrame(() => goToField(rule.id, next));
    } else {
      useUiStore.getState().stopEdit();
      // Give the keyboard back to the outline so arrows and shortcuts keep working.
      row?.focus({ preventScroll: true });
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    e.stopPropagation();
    if (e.key === 'Enter') {
      e.preventDefault();
      finish(true);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      finish(false);
    } else if (e.key === 'Tab') {
      e.preventDefault();
      finish(true, nextField(field, e.shiftKey));
    }
  };

  return (
    <div className={`${className} editing ${problem ? 'cell-invalid' : ''}`} role="gridcell">
      <input
        ref={input}
        className="cell-input"
        data-testid={`edit-${field}`}
        aria-label={field}
        aria-invalid={problem ? true : undefined}
        value={draft}
        list={listId}
        title={problem}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={() => finish(true)}
        onClick={(e) => e.stopPropagation()}
        onDoubleClick={(e) => e.stopPropagation()}
      />
      {listId && (
        <datalist id={listId} data-testid="value-suggestions">
          {suggestions.map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
      )}
      {problem && (
        <div className="edit-problem" role="alert" data-testid="edit-problem">
          {problem}
        </div>
      )}
    </div>
  );
}
