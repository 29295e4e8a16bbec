// Runtime: plain Node (CLI). `treewall compile FILE [--json]`: prints the nftables program a
// document compiles to — the text a person reads, or the libnftables JSON that apply would load.
// Invariant: it never touches the kernel; problems go to stderr as `rule 2.6.1: ...` with exit 2.

import { compile, type CompileOptions } from '../../../shared/compiler/index.ts';
import { readDocumentFile } from '../../common/document-files.ts';

export const summary = 'Print the nftables program a document compiles to';

export const usage = `usage: treewall compile FILE [--json] [--objects] [--table-only] [--log-group N]

Compiles FILE (XML document or NeXT text) to the one table treewall owns (table inet treewall)
and prints it as nft text, or with --json as the libnftables JSON transaction that replaces the
table (load it with: nft -j -f OUT.json). Nothing is applied.

  --json         print the JSON transaction instead of text
  --objects      print the map from rule id to kernel objects (counters, chains, sets) as JSON
  --table-only   just the table, without the add/delete that replaces an existing one
  --log-group N  NFLOG group for Log and logged verdicts (default 1729)

exit codes: 0 compiled, 2 bad input (unreadable file, or rules that cannot compile), 1 other`;

export async function run(args: string[]): Promise<number> {
  let file: string | undefined;
  let json = false;
  let objects = false;
  const options: CompileOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--json') json = true;
    else if (a === '--objects') objects = true;
    else if (a === '--table-only') options.mode = 'table';
    else if (a === '--log-group') {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        console.error('treewall compile: --log-group needs a number 0-65535');
        return 2;
      }
      options.logGroup = n;
    } else if (a.startsWith('-')) {
      console.error(`treewall compile: unknown option ${a}\n\n${usage}`);
      return 2;
    } else if (file === undefined) file = a;
    else {
      console.error(`treewall compile: one FILE only\n\n${usage}`);
      return 2;
    }
  }
  if (file === undefined) {
    console.error(usage);
    return 2;
  }

  let document;
  try {
    document = await readDocumentFile(file);
  } catch (error) {
    console.error(`treewall compile: ${file}: ${(error as Error).message}`);
    return 2;
  }

  const result = compile(document, options);
  if (!result.ok) {
    for (const p of result.problems) console.error(`rule ${p.number}: ${p.message}`);
    return 2;
  }
  for (const w of result.warnings) console.error(`warning: rule ${w.number}: ${w.message}`);
  if (objects) console.log(JSON.stringify(result.objects, null, 2));
  else if (json) console.log(JSON.stringify(result.nft, null, 2));
  else process.stdout.write(result.text);
  return 0;
}
