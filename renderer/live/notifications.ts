// Runtime: browser (renderer/). Alert and Notify actions (`notify:event`) as desktop
// notifications: the browser Notification API, which Electron's renderer implements natively.
// Every event also becomes an in-app toast, so nothing is lost where notifications are refused.

import { create } from 'zustand';
import type { NotifyEvent } from '../../shared/ipc/app-api.ts';

const DESKTOP_KINDS: ReadonlySet<NotifyEvent['kind']> = new Set(['alert', 'notify']);
const TOAST_MS = 6000;
const MAX_TOASTS = 4;

export interface Toast extends NotifyEvent {
  key: number;
}

export const useToasts = create<{ toasts: readonly Toast[] }>()(() => ({ toasts: [] }));

let key = 0;

export function dismissToast(k: number): void {
  useToasts.setState((s) => ({ toasts: s.toasts.filter((t) => t.key !== k) }));
}

export function notify(event: NotifyEvent): void {
  const toast = { ...event, key: ++key };
  useToasts.setState((s) => ({ toasts: [toast, ...s.toasts].slice(0, MAX_TOASTS) }));
  setTimeout(() => dismissToast(toast.key), TOAST_MS);
  if (!DESKTOP_KINDS.has(event.kind) || typeof Notification === 'undefined') return;
  const show = () => {
    try {
      new Notification(event.title, {
        body: event.body,
        tag: `treewall-${event.ruleId ?? 'none'}`,
      });
    } catch {
      // Some hosts refuse the constructor (service-worker-only platforms): the toast remains.
    }
  };
  if (Notification.permission === 'granted') show();
  else if (Notification.permission === 'default') {
    void Notification.requestPermission().then((p) => {
      if (p === 'granted') show();
    });
  }
}
