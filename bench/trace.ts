// Runtime: Node (benchmarks). Chromium performance traces over CDP (playwright-core's CDP
// session): the tasks of the page's main thread, which is where input waits. Only the `toplevel`
// category is recorded (one event per task), so tracing costs the page little.

import type { CDPSession } from 'playwright-core';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of the event, µs, where the platform has a thread clock. */
  tdur?: number;
  args?: { name?: string };
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

/** Starts recording; the returned function stops and gives the main thread's tasks. */
export async function traceMainThread(cdp: CDPSession): Promise<() => Promise<MainThreadTasks>> {
  const events: TraceEvent[] = [];
  const collect = (e: { value: object[] }) => {
    events.push(...(e.value as TraceEvent[]));
  };
  cdp.on('Tracing.dataCollected', collect);
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['toplevel', '__metadata'] },
  });
  return async () => {
    const complete = new Promise<void>((resolve) =>
      cdp.once('Tracing.tracingComplete', () => resolve()),
    );
    await cdp.send('Tracing.end');
    await complete;
    cdp.off('Tracing.dataCollected', collect);
    return mainThreadTasks(events);
  };
}

/** The tasks of the busiest renderer main thread (the page's) in a trace. */
export function mainThreadTasks(events: TraceEvent[]): MainThreadTasks {
  const mains = events.filter(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  let best: MainThreadTasks = {
    tasks: [],
    cpu: [],
    busyMs: 0,
    windowMs: 0,
  };
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
    // Both names mark the same task, one inside the other, and a task can run inside another
    // (a nested message loop): the outermost counts, once.
    const tasks: number[] = [];
    const cpu: number[] = [];
    let end = -Infinity;
    let first = Infinity;
    for (const e of runs) {
      const dur = e.dur ?? 0;
      if (e.ts < end) continue;
      tasks.push(dur / 1000);
      cpu.push((e.tdur ?? dur) / 1000);
      end = e.ts + dur;
      first = Math.min(first, e.ts);
    }
    const busyMs = tasks.reduce((a, b) => a + b, 0);
    if (busyMs > best.busyMs) best = { tasks, cpu, busyMs, windowMs: (end - first) / 1000 };
  }
  return best;
}
