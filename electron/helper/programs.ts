// Runtime: plain Node, as root. Where the helper finds the programs it runs (nft, tcpdump, ping,
// python3): in fixed system directories, never through PATH. A root helper that searched PATH
// would run whatever a writable directory early in PATH (or a PATH set by whoever started it)
// calls `nft`.
// Invariant: the path returned is absolute and inside SYSTEM_DIRS (or does not exist, and the
// spawn fails with ENOENT, which every caller already treats as "not installed").

import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Searched in this order (Debian and Fedora put nft in /usr/sbin; merged-/usr links the rest). */
export const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'] as const;

const found = new Map<string, string>();

/** The absolute path of `name` in the first of SYSTEM_DIRS that has it as an executable. */
export function systemProgram(name: string): string {
  if (name.includes('/')) throw new Error(`systemProgram: '${name}' is not a bare program name`);
  let resolved = found.get(name);
  if (resolved === undefined) {
    resolved = path.join(SYSTEM_DIRS[0], name);
    for (const dir of SYSTEM_DIRS) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        resolved = candidate;
        break;
      } catch {
        // not here
      }
    }
    found.set(name, resolved);
  }
  return resolved;
}
