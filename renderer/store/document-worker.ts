// Runtime: browser Web Worker (renderer/). The document worker: holds a copy of the document
// (./document-mirror.ts: the main thread sends only the rules an edit replaced) and does the two
// jobs that need the whole document off the main thread:
// - `check`: shared/compiler's `documentProblems` (validation plus every compiler refusal and
//   warning): at 5,000 rules about 0.4 s, at 100,000 several seconds, which must not freeze
//   editing;
// - `encode`: the document's wire JSON for the crash-recovery autosave (shared/ipc/
//   document-json.ts, incremental) as gzip'd UTF-8 bytes, which the main thread only has to
//   send.
// Requests are answered in order; an answer carries its request's id.

import { documentProblems } from '../../shared/compiler/problems.ts';
import { DocumentJsonEncoder } from '../../shared/ipc/document-json.ts';
import type { Problem } from '../../shared/model/types.ts';
import { MirrorReceiver, type MirrorMessage, type MirrorRoot } from './document-mirror.ts';

export type WorkerRequest =
  | MirrorMessage
  | { kind: 'check'; id: number; root: MirrorRoot }
  | { kind: 'encode'; id: number; root: MirrorRoot };

export type WorkerReply =
  | { kind: 'problems'; id: number; problems: Problem[] }
  | { kind: 'encoded'; id: number; bytes: Uint8Array<ArrayBuffer> | null; error?: string };

/** gzip'd (about 1/15 of 17 MB for a large document), where the platform can; else as they are. */
async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof CompressionStream !== 'function') return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const mirror = new MirrorReceiver();
const encoder = new DocumentJsonEncoder();
const reply = (message: WorkerReply) => (self as unknown as Worker).postMessage(message);

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const request = e.data;
  if (request.kind === 'rules') return mirror.apply(request);
  if (request.kind === 'encode') {
    try {
      // UTF-8 bytes, transferred: the main thread sends them as they are (no string to convert).
      const text = encoder.encode(mirror.document(request.root))!;
      void gzip(new TextEncoder().encode(text)).then(
        (bytes) =>
          (self as unknown as Worker).postMessage(
            { kind: 'encoded', id: request.id, bytes } satisfies WorkerReply,
            [bytes.buffer],
          ),
        (error: unknown) =>
          reply({ kind: 'encoded', id: request.id, bytes: null, error: String(error) }),
      );
    } catch (error) {
      reply({ kind: 'encoded', id: request.id, bytes: null, error: (error as Error).message });
    }
    return;
  }
  let problems: Problem[];
  try {
    problems = documentProblems(mirror.document(request.root));
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
  reply({ kind: 'problems', id: request.id, problems });
};
