// Runtime: browser (renderer/). One way for every live panel (Traffic, Triggered, Log,
// Simulator) to show what went wrong: the last failure of the panel's work, in that panel, until
// the next success clears it (or the user dismisses it).
// Invariant: a panel reports every outcome of the work it shows, success included, so an error
// never outlives the thing that failed.

import { create } from 'zustand';
import type {
  ApiResult,
  Channel,
  ChannelRequest,
  ChannelResponse,
} from '../../shared/ipc/app-api.ts';
import { invoke } from '../backend.ts';

export type PanelName = 'traffic' | 'triggered' | 'log' | 'simulator';

export interface PanelProblem {
  message: string;
  /** More lines (which lines of an import failed, ...), shown under the message. */
  detail?: string;
}

export const usePanelErrors = create<Partial<Record<PanelName, PanelProblem>>>()(() => ({}));

/** The outcome of a panel's work: its error (shown in that panel), or null (clears it). */
export function reportPanel(panel: PanelName, message: string | null, detail?: string): void {
  const current = usePanelErrors.getState()[panel];
  if (message === null) {
    if (current) usePanelErrors.setState({ [panel]: undefined });
    return;
  }
  if (current?.message === message && current.detail === detail) return;
  usePanelErrors.setState({ [panel]: { message, ...(detail ? { detail } : {}) } });
}

/**
 * A backend call made for a panel: a failure is shown in that panel as "`what`: reason", a
 * success clears the panel's error. Resolves with the value, or null when it failed.
 */
export async function panelCall<C extends Channel>(
  panel: PanelName,
  what: string,
  channel: C,
  request: ChannelRequest<C>,
): Promise<ChannelResponse<C> | null> {
  const r: ApiResult<ChannelResponse<C>> = await invoke(channel, request);
  if (!r.ok) {
    reportPanel(panel, `${what}: ${r.error.message}`);
    return null;
  }
  reportPanel(panel, null);
  return r.value;
}

/** The panel's error line (role alert, with Dismiss); nothing when there is none. */
export function PanelError({ panel }: { panel: PanelName }) {
  const problem = usePanelErrors((s) => s[panel]);
  if (!problem) return null;
  return (
    <div
      className="panel-error panel-action-error"
      role="alert"
      data-testid={`${panel}-error`}
      data-panel-error={panel}
    >
      <span>
        {problem.message}
        {problem.detail && <pre className="panel-error-detail">{problem.detail}</pre>}
      </span>
      <button
        type="button"
        className="banner-close"
        aria-label="Dismiss"
        onClick={() => reportPanel(panel, null)}
      >
        ×
      </button>
    </div>
  );
}
