// Runtime: Node (benchmarks). Chromium performance traces over CDP (playwright-core's CDP
// session): the tasks of the page's main thread, which is where input waits. Only the `toplevel`
// category is recorded (one event per task), so tracing costs the page little.

import type { CDPSession } from 'playwright-core';

/** One event of a Chromium trace (the fields the benchmarks read). */
export interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of the event, µs, where the platform has a thread clock. */
  tdur?: number;
  args?: { name?: string; data?: Record<string, unknown> } & Record<string, unknown>;
}

export interface MainThreadTasks {
  /** Duration of every task of the renderer's main thread, in ms, in order. */
  tasks: number[];
  /** The same tasks' CPU (thread) time, ms: what a task costs with the cores to itself, which
   * a loaded machine inflates far less than wall time. */
  cpu: number[];
  /** Sum of the tasks' durations, ms. */
  busyMs: number;
  /** From the first task's start to the last one's end, ms. */
  windowMs: number;
}

/** Starts recording `categories`; the returned function stops and gives every event. */
export async function recordTrace(
  cdp: CDPSession,
  categories: string[],
): Promise<() => Promise<TraceEvent[]>> {
  const events: TraceEvent[] = [];
  const collect = (e: { value: object[] }) => {
    events.push(...(e.value as TraceEvent[]));
  };
  cdp.on('Tracing.dataCollected', collect);
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: categories },
  });
  return async () => {
    const complete = new Promise<void>((resolve) =>
      cdp.once('Tracing.tracingComplete', () => resolve()),
    );
    await cdp.send('Tracing.end');
    await complete;
    cdp.off('Tracing.dataCollected', collect);
    return events;
  };
}

/** Starts recording; the returned function stops and gives the main thread's tasks. */
export async function traceMainThread(cdp: CDPSession): Promise<() => Promise<MainThreadTasks>> {
  const stop = await recordTrace(cdp, ['toplevel', '__metadata']);
  return async () => mainThreadTasks(await stop());
}

/**
 * The task events of the busiest renderer main thread (the page's) in a trace, in order: both
 * `ThreadControllerImpl::RunTask` and `RunTask` mark the same task, one inside the other, and a
 * task can run inside another (a nested message loop): the outermost counts, once.
 */
export function mainThreadTaskEvents(events: TraceEvent[]): TraceEvent[] {
  const mains = events.filter(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  let best: TraceEvent[] = [];
  let bestBusy = 0;
  for (const main of mains) {
    const runs = events
      .filter(
        (e) =>
          e.pid === main.pid &&
          e.tid === main.tid &&
          e.ph === 'X' &&
          (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask'),
      )
      .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    const tasks: TraceEvent[] = [];
    let end = -Infinity;
    let busy = 0;
    for (const e of runs) {
      if (e.ts < end) continue;
      tasks.push(e);
      end = e.ts + (e.dur ?? 0);
      busy += e.dur ?? 0;
    }
    if (busy > bestBusy) {
      best = tasks;
      bestBusy = busy;
    }
  }
  return best;
}

/** The tasks of the busiest renderer main thread (the page's) in a trace. */
export function mainThreadTasks(events: TraceEvent[]): MainThreadTasks {
  const runs = mainThreadTaskEvents(events);
  const tasks = runs.map((e) => (e.dur ?? 0) / 1000);
  const cpu = runs.map((e) => (e.tdur ?? e.dur ?? 0) / 1000);
  const busyMs = tasks.reduce((a, b) => a + b, 0);
  const last = runs.at(-1);
  const windowMs = last ? (last.ts + (last.dur ?? 0) - (runs[0] as TraceEvent).ts) / 1000 : 0;
  return { tasks, cpu, busyMs, windowMs };
}
