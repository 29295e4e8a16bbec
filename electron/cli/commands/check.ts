// Runtime: plain Node (CLI). `treewall check FILE...`: reads each document (XML property list,
// IPNetSentryX's included, or NeXT text; `-` is standard input) and lists every problem
// `documentProblems` finds: validation and everything the compiler refuses or warns about.
// Invariant: a document `treewall compile` refuses is never `ok` here (exit 2 for any error or
// unreadable file); warnings and notes are printed but do not fail. It never touches the kernel
// or the helper.

import { promises as fs } from 'node:fs';
import { countBySeverity, documentProblems } from '../../../shared/compiler/problems.ts';
import type { Problem } from '../../../shared/model/types.ts';
import { formatProblem } from '../../../shared/model/validate.ts';
import { DocumentFormatError, parseDocumentText } from '../../../shared/plist/document.ts';
import { PlistSyntaxError } from '../../../shared/plist/openstep.ts';
import { RuleFormatError } from '../../../shared/plist/rules.ts';
import { decodeText } from '../../common/document-files.ts';
import { noteInvalidUtf8 } from '../support.ts';

export const summary = 'Validate a document (XML or NeXT text) and print its problems';

export const usage = `usage: treewall check FILE... [--json]

Reads each FILE (an XML property-list document, IPNetSentryX's included, or NeXT property-list
text; - reads standard input) and lists every problem: what validation finds and what the
compiler refuses or warns about (the same list the editor shows). One line per problem:

  rule 2.6.1: Dest port 70000 is out of range (0-65535)
  warning: rule 3: Interface external: the document lists no external interfaces, so this rule never matches
  note: rule 2.5.1.1: Email "server down" names no address: kept as a note; ...

Errors stop Apply (treewall compile refuses the document); warnings and notes do not. Problems in
rules that are off are notes. The last line is \`ok\` when there is no error, with the number of
warnings and notes, if any. A file that cannot be read prints FILE:LINE:COL: message (or FILE:
rule N: message).
--json prints [{ file, ok, problems: [{ severity, ruleId, number, field, message }], error }]
instead (ok: no error).

exit codes: 0 no error (warnings and notes allowed), 2 an error or an unreadable file, 1 other error`;

interface ReadError {
  kind: 'syntax' | 'rule' | 'document' | 'file';
  message: string;
  line?: number;
  column?: number;
  ruleNumber?: string;
}

interface FileReport {
  file: string;
  ok: boolean;
  problems: Problem[];
  error?: ReadError;
}

async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  if (file !== '-') bytes = await fs.readFile(file);
  else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    bytes = Buffer.concat(chunks);
  }
  const text = decodeText(bytes);
  noteInvalidUtf8('check', file === '-' ? 'standard input' : file, bytes, text);
  return text;
}

function describeReadError(error: unknown): ReadError {
  if (error instanceof PlistSyntaxError) {
    return { kind: 'syntax', message: error.reason, line: error.line, column: error.column };
  }
  if (error instanceof RuleFormatError) {
    return { kind: 'rule', message: error.message, ruleNumber: error.ruleNumber };
  }
  if (error instanceof DocumentFormatError) return { kind: 'document', message: error.message };
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { kind: 'file', message: 'no such file' };
  if (code === 'EISDIR') return { kind: 'file', message: 'is a folder, not a document' };
  if (code === 'EACCES') return { kind: 'file', message: 'permission denied' };
  throw error;
}

async function checkFile(file: string): Promise<FileReport> {
  let text: string;
  try {
    text = await readText(file);
  } catch (error) {
    return { file, ok: false, problems: [], error: describeReadError(error) };
  }
  try {
    const problems = documentProblems(parseDocumentText(text));
    return { file, ok: countBySeverity(problems).error === 0, problems };
  } catch (error) {
    return { file, ok: false, problems: [], error: describeReadError(error) };
  }
}

function humanLines(report: FileReport, prefix: boolean): { out: string[]; err: string[] } {
  const name = report.file === '-' ? '<stdin>' : report.file;
  const { error } = report;
  if (error) {
    const where = error.line !== undefined ? `${name}:${error.line}:${error.column}` : name;
    return { out: [], err: [`${where}: ${error.message}`] };
  }
  const lead = prefix ? `${name}: ` : '';
  const out = report.problems.map((p) => `${lead}${formatProblem(p)}`);
  if (report.ok) {
    const { warning, note } = countBySeverity(report.problems);
    const counts = [
      warning > 0 ? `${warning} warning${warning === 1 ? '' : 's'}` : '',
      note > 0 ? `${note} note${note === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    out.push(`${lead}ok${counts.length > 0 ? ` (${counts.join(', ')})` : ''}`);
  }
  return { out, err: [] };
}

export async function run(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const unknown = args.find((a) => a.startsWith('-') && a !== '-' && a !== '--json');
  const files = args.filter((a) => a === '-' || !a.startsWith('-'));
  if (unknown !== undefined || files.length === 0) {
    console.error(
      `treewall check: ${unknown ? `unknown option ${unknown}` : 'no FILE given'}\n\n${usage}`,
    );
    return 2;
  }
  const reports: FileReport[] = [];
  for (const file of files) reports.push(await checkFile(file));
  if (json) {
    console.log(JSON.stringify(reports, null, 2));
  } else {
    for (const report of reports) {
      const { out, err } = humanLines(report, files.length > 1);
      for (const line of out) console.log(line);
      for (const line of err) console.error(line);
    }
  }
  return reports.every((r) => r.ok) ? 0 : 2;
}
