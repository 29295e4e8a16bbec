import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Problem } from '../../shared/model/types.ts';

/** The worker, as the client module shows it: each check answers when the test says. */
const asked: { document: FirewallDocument; answer: (p: Problem[] | null) => void }[] = [];
vi.mock('./document-worker-client.ts', () => ({
  documentWorker: () => ({}),
  problemsInWorker: (document: FirewallDocument, cancelled: () => boolean) =>
    new Promise<Problem[] | null>((resolve) => {
      asked.push({ document, answer: (p) => resolve(cancelled() ? null : p) });
    }),
}));

const { checkDocument, useAllProblems } = await import('./all-problems.ts');

const documentNamed = (name: string): FirewallDocument => ({
  rules: [createRule({ name })],
  settings: { ...DEFAULT_SETTINGS },
});
const problemOf = (d: FirewallDocument): Problem => ({
  severity: 'warning',
  ruleId: d.rules[0]!.id,
  number: '1',
  message: d.rules[0]!.name,
});
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('the problem check in the worker', () => {
  beforeEach(() => {
    asked.length = 0;
  });

  it('keeps one check in the worker: edits meanwhile ask once more, for the newest document', async () => {
    const first = documentNamed('first');
    checkDocument(first);
    const edits = ['a', 'b', 'c', 'newest'].map(documentNamed);
    for (const d of edits) checkDocument(d);
    expect(asked.map((a) => a.document)).toEqual([first]);

    asked[0]!.answer([problemOf(first)]);
    await settle();
    // The first answer is for a replaced document: not shown; the newest one is asked next.
    expect(useAllProblems.getState().forDocument).not.toBe(first);
    expect(asked.map((a) => a.document)).toEqual([first, edits[3]]);

    asked[1]!.answer([problemOf(edits[3]!)]);
    await settle();
    expect(useAllProblems.getState().forDocument).toBe(edits[3]);
    expect(useAllProblems.getState().warnings).toBe(1);
    expect(useAllProblems.getState().byRule.get(edits[3]!.rules[0]!.id)?.[0]?.message).toBe(
      'newest',
    );
    expect(asked).toHaveLength(2);
  });

  it('asks at once when no check is in the worker', async () => {
    const d = documentNamed('alone');
    checkDocument(d);
    expect(asked.map((a) => a.document)).toEqual([d]);
    asked[0]!.answer([]);
    await settle();
    expect(useAllProblems.getState().forDocument).toBe(d);
    const next = documentNamed('later');
    checkDocument(next);
    expect(asked.map((a) => a.document)).toEqual([d, next]);
    asked[1]!.answer([]);
    await settle();
    expect(useAllProblems.getState().forDocument).toBe(next);
  });
});
