// Runtime: plain Node (CLI). Everything the command line prints goes through `escapeControls`:
// rule names, values and the kernel's own listing (`show-active --nft`) can hold text that came
// from a document, and an ESC sequence in it would rewrite the administrator's terminal.
// Invariant: after `guardOutput()`, no string written to stdout or stderr carries a control
// character other than newline and tab, a lone surrogate or a bidirectional override; they are
// written as `\u001b`-style escapes (valid inside JSON strings, so `--json` output stays JSON
// with the same meaning). Buffers pass unchanged (nothing here writes binary to a terminal).

import { escapeControls } from '../../shared/model/text.ts';

type Write = typeof process.stdout.write;

function guard(stream: NodeJS.WriteStream): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const write = (chunk: unknown, ...rest: unknown[]): boolean =>
    original(typeof chunk === 'string' ? escapeControls(chunk) : chunk, ...rest);
  stream.write = write as Write;
}

let guarded = false;

export function guardOutput(): void {
  if (guarded) return;
  guarded = true;
  guard(process.stdout);
  guard(process.stderr);
}
