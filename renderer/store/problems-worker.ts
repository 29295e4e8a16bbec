// Runtime: browser Web Worker (renderer/). Runs shared/compiler's `documentProblems` (validation
// plus every compiler refusal and warning) off the main thread: at 5,000 rules it takes about
// 0.4 s, at 100,000 several seconds, which must not freeze editing.

import { documentProblems } from '../../shared/compiler/problems.ts';
import type { FirewallDocument, Problem } from '../../shared/model/types.ts';

interface Request {
  id: number;
  document: FirewallDocument;
}

self.onmessage = (e: MessageEvent<Request>) => {
  const { id, document } = e.data;
  let problems: Problem[];
  try {
    problems = documentProblems(document);
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
