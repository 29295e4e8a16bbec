// Runtime: browser Web Worker (renderer/). Runs shared/compiler's `documentProblems` (validation
// plus every compiler refusal and warning) off the main thread: at 5,000 rules it takes about
// 0.4 s, at 100,000 several seconds, which must not freeze editing. The document arrives as its
// wire JSON text (renderer/store/document-text.ts): posting a string costs the main thread a
// copy, where a structured clone of a 100,000-rule document costs it 0.3-0.8 s.

import { documentProblems } from '../../shared/compiler/problems.ts';
import { decodeWire } from '../../shared/ipc/wire.ts';
import type { FirewallDocument, Problem } from '../../shared/model/types.ts';

interface Request {
  id: number;
  /** The document as wire JSON (decodeWire). */
  text: string;
}

self.onmessage = (e: MessageEvent<Request>) => {
  const { id, text } = e.data;
  let problems: Problem[];
  try {
    problems = documentProblems(decodeWire(text) as FirewallDocument);
  } catch (error) {
    problems = [
      {
        severity: 'error',
        ruleId: '',
        number: '',
        message: `Checking the document failed: ${(error as Error).message}`,
      },
    ];
  }
  (self as unknown as Worker).postMessage({ id, problems });
};
