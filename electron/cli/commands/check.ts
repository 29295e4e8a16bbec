// Runtime: plain Node (CLI). `treewall check FILE...`: reads each document (XML property list,
// IPNetSentryX's included, or NeXT text; `-` is standard input) and validates it.
// Invariant: exit 0 and `ok` only when every file reads and has no problem; any unreadable file
// or any problem exits 2. It never touches the kernel or the helper.

import { promises as fs } from 'node:fs';
import type { Problem } from '../../../shared/model/types.ts';
import { formatProblem, validateDocument } from '../../../shared/model/validate.ts';
import { DocumentFormatError, parseDocumentText } from '../../../shared/plist/document.ts';
import { PlistSyntaxError } from '../../../shared/plist/openstep.ts';
import { RuleFormatError } from '../../../shared/plist/rules.ts';

export const summary = 'Validate a document (XML or NeXT text) and print its problems';

export const usage = `usage: treewall check FILE... [--json]

Reads each FILE (an XML property-list document, IPNetSentryX's included, or NeXT property-list
text; - reads standard input) and validates every rule and setting. Prints one line per problem:

  rule 2.6.1: Dest port 70000 is out of range (0-65535)

or \`ok\`. A file that cannot be read prints FILE:LINE:COL: message (or FILE: rule N: message).
--json prints [{ file, ok, problems: [{ ruleId, number, field, message }], error }] instead.

exit codes: 0 ok, 2 a problem or an unreadable file, 1 other error`;

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
  if (file !== '-') return fs.readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
    const problems = validateDocument(parseDocumentText(text));
    return { file, ok: problems.length === 0, problems };
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
  if (report.ok) return { out: [`${lead}ok`], err: [] };
  return { out: report.problems.map((p) => `${lead}${formatProblem(p)}`), err: [] };
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
