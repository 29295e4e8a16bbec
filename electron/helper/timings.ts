// Runtime: plain Node. Step timings of one request inside the helper, for profiling an apply
// (`TREEWALL_HELPER_TIMINGS=1 treewall helper ...` prints one line per request to stderr:
// each step's wall and CPU milliseconds). Off by default; when off, `steps()` returns a no-op
// whose calls cost nothing measurable.

export interface Steps {
  /** Close the step that ran since the last mark (or since start) under `name`. */
  mark(name: string): void;
  /** Note the wall time since the last mark under `name` without closing the step (`name@ms`). */
  point(name: string): void;
  /** Print the line (once). */
  done(label: string): void;
}

const NOOP: Steps = { mark: () => undefined, point: () => undefined, done: () => undefined };

export const timingsEnabled = (): boolean => process.env.TREEWALL_HELPER_TIMINGS === '1';

export function steps(startedAt?: number): Steps {
  if (!timingsEnabled()) return NOOP;
  const first = startedAt ?? performance.now();
  let wall = performance.now();
  let cpu = process.cpuUsage();
  const parts: string[] = [];
  if (startedAt !== undefined) parts.push(`wait ${(wall - startedAt).toFixed(0)}`);
  let printed = false;
  return {
    mark(name) {
      const now = performance.now();
      const used = process.cpuUsage(cpu);
      parts.push(
        `${name} ${(now - wall).toFixed(0)}/${((used.user + used.system) / 1000).toFixed(0)}`,
      );
      wall = now;
      cpu = process.cpuUsage();
    },
    point(name) {
      parts.push(`${name}@${(performance.now() - wall).toFixed(0)}`);
    },
    done(label) {
      if (printed) return;
      printed = true;
      const total = performance.now() - first;
      process.stderr.write(
        `treewall helper: timings ${label}: ${parts.join(', ')}; total ${total.toFixed(0)} ms (wall/cpu ms)\n`,
      );
    },
  };
}
