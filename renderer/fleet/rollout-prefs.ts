// Runtime: browser (renderer/). How long each host of a fleet rollout waits for its confirm
// before its helper restores the previous rules. The user's choice per rollout (the field beside
// "Apply to"), remembered by this browser (localStorage): a preference of the person at the
// window, not of the document. Default as the CLI's `--confirm-timeout` (CONFIRM_TIMEOUT_SECONDS:
// 120 s, room for a canary's health probe and a busy host's confirm).

import { create } from 'zustand';
import { CONFIRM_TIMEOUT_SECONDS } from '../../shared/ipc/helper-protocol.ts';

export const DEFAULT_CONFIRM_SECONDS = CONFIRM_TIMEOUT_SECONDS.default;
/** Higher than the helper's floor of 1 s: a fleet host needs time for the canary's probe. */
export const MIN_CONFIRM_SECONDS = 10;
export const MAX_CONFIRM_SECONDS = CONFIRM_TIMEOUT_SECONDS.max;

const KEY = 'treewall.rolloutConfirmSeconds';

/** A whole number of seconds in range, or null (kept as typed, refused on Apply). */
export function parseConfirmSeconds(text: string): number | null {
  if (!/^\d{1,4}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= MIN_CONFIRM_SECONDS && n <= MAX_CONFIRM_SECONDS ? n : null;
}

function load(): number {
  try {
    return parseConfirmSeconds(localStorage.getItem(KEY) ?? '') ?? DEFAULT_CONFIRM_SECONDS;
  } catch {
    return DEFAULT_CONFIRM_SECONDS;
  }
}

interface RolloutPrefs {
  confirmSeconds: number;
  setConfirmSeconds(seconds: number): void;
}

export const useRolloutPrefs = create<RolloutPrefs>()((set) => ({
  confirmSeconds: load(),
  setConfirmSeconds(seconds) {
    set({ confirmSeconds: seconds });
    try {
      localStorage.setItem(KEY, String(seconds));
    } catch {
      // Storage full or refused: the choice lasts for this page only.
    }
  },
}));
