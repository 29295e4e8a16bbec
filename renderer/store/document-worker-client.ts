// Runtime: browser (renderer/). The main thread's side of the document worker
// (./document-worker.ts): one worker for the page, its copy of the document brought up to date
// (./document-mirror.ts) in slices of at most SLICE_MS before each request, so neither a first
// 100,000-rule document nor an edit blocks input or a frame.
// Where no worker can start (a file:// page that refuses module workers) every call answers
// null and the callers do the work themselves.

import type { FirewallDocument, Problem } from '../../shared/model/types.ts';
import { MirrorSender, type MirrorRoot } from './document-mirror.ts';
import type { WorkerReply, WorkerRequest } from './document-worker.ts';

const SLICE_MS = 8;

let worker: Worker | null | undefined;
const sender = new MirrorSender();
const waiting = new Map<number, (reply: WorkerReply | null) => void>();
let nextId = 1;

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The page's document worker, started on first use; null where none can start. */
export function documentWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    const w = new Worker(new URL('./document-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      const settle = waiting.get(e.data.id);
      waiting.delete(e.data.id);
      settle?.(e.data);
    };
    w.onerror = () => {
      w.terminate();
      worker = null;
      for (const settle of waiting.values()) settle(null);
      waiting.clear();
    };
    worker = w;
  } catch {
    worker = null;
  }
  return worker;
}

/** Brings the worker's copy up to `document`, in slices; null when cancelled or no worker. */
async function sync(
  document: FirewallDocument,
  cancelled: () => boolean,
): Promise<{ w: Worker; root: MirrorRoot } | null> {
  for (;;) {
    const w = documentWorker();
    if (!w || cancelled()) return null;
    const until = performance.now() + SLICE_MS;
    const { messages, root } = sender.sync(document, () => performance.now() > until);
    for (const m of messages) w.postMessage(m satisfies WorkerRequest);
    if (root) return { w, root };
    await nextTask();
  }
}

async function ask(
  document: FirewallDocument,
  kind: 'check' | 'encode',
  cancelled: () => boolean,
): Promise<WorkerReply | null> {
  const synced = await sync(document, cancelled);
  if (!synced) return null;
  const id = nextId++;
  const answer = new Promise<WorkerReply | null>((resolve) => waiting.set(id, resolve));
  synced.w.postMessage({ kind, id, root: synced.root } satisfies WorkerRequest);
  return answer;
}

/** Every problem of `document` (shared/compiler's documentProblems), from the worker; null when
 * cancelled before it was asked, or without a worker. */
export async function problemsInWorker(
  document: FirewallDocument,
  cancelled: () => boolean = () => false,
): Promise<Problem[] | null> {
  const reply = await ask(document, 'check', cancelled);
  return reply?.kind === 'problems' ? reply.problems : null;
}

/** `document`'s wire JSON (shared/ipc/document-json.ts) as UTF-8 bytes, written by the worker;
 * null without a worker or when it failed. */
export async function encodedInWorker(
  document: FirewallDocument,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const reply = await ask(document, 'encode', () => false);
  return reply?.kind === 'encoded' ? reply.bytes : null;
}
