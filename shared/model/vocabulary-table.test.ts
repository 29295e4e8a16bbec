import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, PROPERTY_NAMES, RELATION_NAMES } from './vocabulary.ts';
import {
  ACTION_INFO,
  PROPERTY_INFO,
  RELATION_INFO,
  isTerminating,
  takesParameter,
  vocabularyMarkdown,
} from './vocabulary-table.ts';
import { parseParameter, parseValue } from './values.ts';

describe('vocabulary table', () => {
  it('has an entry for every property, action and relation', () => {
    expect(Object.keys(PROPERTY_INFO).sort()).toEqual([...PROPERTY_NAMES].sort());
    expect(Object.keys(ACTION_INFO).sort()).toEqual([...ACTION_NAMES].sort());
    expect(Object.keys(RELATION_INFO).sort()).toEqual([...RELATION_NAMES].sort());
  });

  it.each(PROPERTY_NAMES)(
    '%s: every example and the placeholder parse to a declared kind',
    (name) => {
      const info = PROPERTY_INFO[name];
      expect(info.relations.length).toBeGreaterThan(0);
      expect(info.description.length).toBeGreaterThan(10);
      const samples = [...info.examples, ...(info.placeholder === '' ? [] : [info.placeholder])];
      for (const sample of samples) {
        const r = parseValue(name, sample);
        expect(r, `${name} ${sample}`).toMatchObject({ ok: true });
        if (r.ok) expect(info.valueKinds).toContain(r.value.kind);
      }
    },
  );

  it.each(ACTION_NAMES)('%s: every parameter example parses to a declared kind', (name) => {
    const info = ACTION_INFO[name];
    const samples = [...info.parameterExamples];
    if (info.parameterPlaceholder !== '') samples.push(info.parameterPlaceholder);
    if (!takesParameter(name)) samples.push('');
    for (const sample of samples) {
      const r = parseParameter(name, sample);
      expect(r, `${name} ${sample}`).toMatchObject({ ok: true });
      if (r.ok) expect(info.parameterKinds).toContain(r.value.kind);
    }
  });

  it('classifies verdicts as DESIGN §3 lists them', () => {
    for (const a of [
      'Pass',
      'Delete',
      'Delete no log',
      'Reject',
      'Drop connection',
      'Trigger',
      'Delay',
      'Route to',
    ] as const) {
      expect(isTerminating(a), a).toBe(true);
    }
    for (const a of [
      '->',
      'Group',
      'Exit group',
      'Log',
      'Dont log',
      'Keep address',
      'Authorize',
      'Alert',
      'Notify',
      'Email',
      'URL',
      'Webhook',
      'Reset parent',
      'Script',
    ] as const) {
      expect(isTerminating(a), a).toBe(false);
    }
    for (const a of ['Masquerade', 'Port forward', 'Rate limit in', 'Rate limit out'] as const) {
      expect(isTerminating(a), a).toBe(false);
    }
    expect(PROPERTY_INFO['Idle seconds'].timer).toBe(true);
    expect(PROPERTY_INFO['Dest port'].timer).toBe(false);
    expect(ACTION_INFO.Delete.logsByDefault).toBe(true);
    expect(ACTION_INFO.Pass.logsByDefault).toBe(false);
  });

  it('offers a=A only for content and >=/<= only for ordered values', () => {
    const withCase = PROPERTY_NAMES.filter((p) => PROPERTY_INFO[p].relations.includes('a=A'));
    expect(withCase.sort()).toEqual(['Data content', 'URL keyword']);
    expect(PROPERTY_INFO['Dest port'].relations).toContain('>=');
    expect(PROPERTY_INFO['Source net'].relations).not.toContain('>=');
  });
});

describe('vocabularyMarkdown', () => {
  it('has one row per property, relation and action', () => {
    const md = vocabularyMarkdown();
    const rows = md
      .split('\n')
      .filter(
        (l) =>
          l.startsWith('| ') &&
          !l.startsWith('| Property') &&
          !l.startsWith('| Relation |') &&
          !l.startsWith('| Action'),
      );
    expect(rows).toHaveLength(PROPERTY_NAMES.length + RELATION_NAMES.length + ACTION_NAMES.length);
    expect(md).toContain('| Dest port |');
    expect(md).toContain('| `Trigger` |');
  });
});
