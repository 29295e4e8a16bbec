// Runtime: plain Node (CLI). `treewall convert FILE [--to next|xml|nsy] [-o OUT]`: a document or
// a rule list from any of the three forms (NeXT text, treewall's XML, IPNetSentryX's .nsy) to any
// other, so documents can live in version control as text and be diffed.
// Invariant: input that does not read gives exactly one error line (FILE:LINE:COL for text that
// does not parse, FILE: rule N for a rule that cannot be one) and exit 2, and nothing is written;
// -o replaces OUT atomically (temporary file, fsync, rename) or leaves it as it was.

import { promises as fs } from 'node:fs';
import type { PlistValue } from '../../../shared/model/types.ts';
import {
  DocumentFormatError,
  documentFromPlist,
  documentToNsy,
  documentToOpenStep,
  documentToXml,
  parseXmlPlist,
  sniffFormat,
} from '../../../shared/plist/document.ts';
import {
  parseOpenStep,
  PlistSyntaxError,
  serializeOpenStep,
} from '../../../shared/plist/openstep.ts';
import { RuleFormatError, rulesFromPlist, rulesToPlist } from '../../../shared/plist/rules.ts';
import { buildXmlPlist } from '../../../shared/plist/xml.ts';
import { DEFAULT_SETTINGS } from '../../../shared/model/types.ts';
import { decodeText, writeFileAtomic } from '../../common/document-files.ts';

export const summary = 'Convert a document or rule list between NeXT text, XML and .nsy';

export const usage = `usage: treewall convert FILE [--to next|xml|nsy] [-o OUT]

Reads FILE (- for standard input) in any of the three forms treewall reads — NeXT property-list
text (the clipboard's form), treewall's XML document, IPNetSentryX's .nsy document — whether it
holds a whole document or only a list of rules, and writes it in the form --to names:

  next  NeXT text: one key per line, sorted keys (good for version control and diffs)
  xml   treewall's XML document (a rule list stays a list: an XML array of rules)
  nsy   IPNetSentryX's document: the tree under SentryDocument_filterTable, its names and codes
        (a rule list becomes a document with default settings)

Without --to, the form follows OUT's name (.nsy, .txt/.next, else xml), or next on standard
output. -o OUT writes OUT atomically (- or no -o: standard output). Rules keep their ids; values
are copied as they are (run treewall check for problems).

Input that does not read gives one error, FILE:LINE:COL: message (or FILE: rule N: message), and
nothing is written.

exit codes: 0 converted, 2 bad input or options, 1 other error (e.g. OUT cannot be written)`;

type Form = 'next' | 'xml' | 'nsy';
const FORMS: readonly Form[] = ['next', 'xml', 'nsy'];

/** Inputs above this size are refused before parsing (the largest documents are ~70 MB). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

const formForPath = (file: string): Form =>
  /\.nsy$/i.test(file) ? 'nsy' : /\.(txt|next|openstep|strings)$/i.test(file) ? 'next' : 'xml';

class InputError extends Error {}

async function readInput(file: string): Promise<string> {
  let bytes: Buffer;
  if (file === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > MAX_INPUT_BYTES) throw new InputError(`more than ${MAX_INPUT_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
    bytes = Buffer.concat(chunks);
  } else {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) throw new InputError('is a folder, not a document');
    if (stat.size > MAX_INPUT_BYTES) throw new InputError(`more than ${MAX_INPUT_BYTES} bytes`);
    bytes = await fs.readFile(file);
  }
  if (bytes.includes(0)) {
    // Binary property lists and other binary files: say so rather than a parse error at byte 1.
    const text = bytes.subarray(0, 8).toString('latin1');
    throw new InputError(
      text.startsWith('bplist')
        ? 'a binary property list (convert it to XML first, e.g. plutil -convert xml1)'
        : 'binary data, not a property list',
    );
  }
  return decodeText(bytes);
}

/** The converted text. Throws the codec's errors for input that does not read. */
export function convertText(input: string, to: Form): string {
  const text = input.replace(/^\uFEFF/, '');
  const value: PlistValue = sniffFormat(text) === 'xml' ? parseXmlPlist(text) : parseOpenStep(text);
  // Rules without an id (IPNetSentryX's documents, hand-written text) get ids in reading order,
  // so converting the same file twice gives the same text.
  let n = 0;
  const newId = (): string => `r${++n}`;
  if (Array.isArray(value)) {
    // A rule list (clipboard text, an XML array of rules).
    const rules = rulesFromPlist(value, { keepIds: true, newId });
    if (to === 'next') return serializeOpenStep(rulesToPlist(rules, { includeIds: true }));
    if (to === 'xml') {
      const xml = buildXmlPlist(rulesToPlist(rules, { includeIds: true, style: 'xml' }), '\t');
      return `${xml}\n`;
    }
    return documentToNsy({ rules, settings: { ...DEFAULT_SETTINGS } });
  }
  const doc = documentFromPlist(value, { newId });
  if (to === 'next') return `${documentToOpenStep(doc)}`;
  if (to === 'xml') return documentToXml(doc);
  return documentToNsy(doc);
}

function describe(file: string, error: unknown): string | undefined {
  const name = file === '-' ? '<stdin>' : file;
  if (error instanceof PlistSyntaxError)
    return `${name}:${error.line}:${error.column}: ${error.reason}`;
  if (error instanceof RuleFormatError) return `${name}: ${error.message}`;
  if (error instanceof DocumentFormatError) return `${name}: ${error.message}`;
  if (error instanceof InputError) return `${name}: ${error.message}`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${name}: no such file`;
  if (code === 'EACCES') return `${name}: permission denied`;
  if (code === 'EISDIR') return `${name}: is a folder, not a document`;
  if (error instanceof RangeError) return `${name}: too large or too deeply nested to convert`;
  return undefined;
}

export async function run(args: string[]): Promise<number> {
  let file: string | undefined;
  let to: Form | undefined;
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--to' || a.startsWith('--to=')) {
      const v = a === '--to' ? args[++i] : a.slice(5);
      if (!FORMS.includes(v as Form)) {
        console.error(`treewall convert: --to takes next, xml or nsy (found ${v ?? 'nothing'})`);
        return 2;
      }
      to = v as Form;
    } else if (a === '-o' || a === '--output') {
      out = args[++i];
      if (out === undefined || out === '') {
        console.error('treewall convert: -o needs a file name (or - for standard output)');
        return 2;
      }
    } else if (a.startsWith('-') && a !== '-') {
      console.error(`treewall convert: unknown option ${a}\n\n${usage}`);
      return 2;
    } else if (file === undefined) file = a;
    else {
      console.error(`treewall convert: one FILE only\n\n${usage}`);
      return 2;
    }
  }
  if (file === undefined) {
    console.error(usage);
    return 2;
  }
  const toStdout = out === undefined || out === '-';
  const form: Form = to ?? (toStdout ? 'next' : formForPath(out!));

  let result: string;
  try {
    result = convertText(await readInput(file), form);
  } catch (error) {
    const message = describe(file, error);
    if (message === undefined) throw error;
    console.error(message);
    return 2;
  }
  if (toStdout) {
    process.stdout.write(result);
    return 0;
  }
  try {
    await writeFileAtomic(out!, result);
  } catch (error) {
    console.error(`treewall convert: ${out}: ${(error as Error).message}`);
    return 1;
  }
  return 0;
}
