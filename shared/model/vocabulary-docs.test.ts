// docs/names-and-values.md carries the vocabulary tables generated from vocabulary-table.ts, so
// the documentation says what the editor and the validator do. UPDATE_DOCS=1 rewrites them.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { originalNamesMarkdown, vocabularyMarkdown } from './vocabulary-table.ts';

const file = fileURLToPath(new URL('../../docs/names-and-values.md', import.meta.url));
const START =
  '<!-- generated from shared/model/vocabulary-table.ts: UPDATE_DOCS=1 npx vitest run shared/model/vocabulary-docs.test.ts -->';
const END = '<!-- end of generated tables -->';

const generated = (): string =>
  [
    START,
    '',
    '### Names and codes',
    '',
    originalNamesMarkdown(),
    '### Properties, relations and actions',
    '',
    vocabularyMarkdown(),
    END,
  ].join('\n');

describe('docs/names-and-values.md', () => {
  it('holds the tables the vocabulary generates', () => {
    const text = readFileSync(file, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    expect(start, 'the generated section is missing').toBeGreaterThanOrEqual(0);
    const now = `${text.slice(0, start)}${generated()}${text.slice(end + END.length)}`;
    if (process.env.UPDATE_DOCS === '1' && now !== text) writeFileSync(file, now);
    else expect(text.slice(start, end + END.length)).toBe(generated());
  });
});
