// Runtime: browser (renderer/). Which live panel is open below the outline, and how tall.

import { create } from 'zustand';

export type LiveTab = 'traffic' | 'triggered' | 'log' | 'simulator' | 'fleet';

interface LiveDockState {
  tab: LiveTab;
  open: boolean;
  height: number;
  show(tab: LiveTab): void;
  toggle(tab: LiveTab): void;
  setHeight(height: number): void;
}

export const useLiveDock = create<LiveDockState>()((set, get) => ({
  tab: 'traffic',
  open: false,
  height: 280,
  show: (tab) => set({ tab, open: true }),
  toggle: (tab) => {
    const s = get();
    set(s.open && s.tab === tab ? { open: false } : { tab, open: true });
  },
  setHeight: (height) => set({ height: Math.max(140, Math.min(height, window.innerHeight - 200)) }),
}));
