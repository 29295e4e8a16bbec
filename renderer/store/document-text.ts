// Runtime: browser (renderer/). The current document as wire JSON (shared/ipc/document-json.ts),
// for what must see the whole document off the main thread: the crash-recovery autosave and the
// problem check's worker. One encoder for the page, so both reuse every unchanged rule's text;
// a first encoding (a freshly opened 100,000-rule document: ~0.2 s of work) is spread over tasks
// of at most SLICE_MS, so it never blocks input or a frame.

import { DocumentJsonEncoder } from '../../shared/ipc/document-json.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';

const SLICE_MS = 8;
const encoder = new DocumentJsonEncoder();

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * The wire JSON of `document`, written in slices of at most SLICE_MS; null when `cancelled()`
 * turned true between two slices (a newer document is on its way).
 */
export async function documentText(
  document: FirewallDocument,
  cancelled: () => boolean = () => false,
): Promise<string | null> {
  for (;;) {
    if (cancelled()) return null;
    const until = performance.now() + SLICE_MS;
    const text = encoder.encode(document, () => performance.now() > until);
    if (text !== null) return text;
    await nextTask();
  }
}
