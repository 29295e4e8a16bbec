// Runtime: browser (renderer/). The window: menu bar (browser host only), toolbar, banners, the
// outline, the status bar, and the dialogs above them.

import { useEffect } from 'react';
import { MenuBar } from './chrome/menu-bar.tsx';
import { Toolbar } from './chrome/toolbar.tsx';
import {
  ConfirmBanner,
  ConnectionBanner,
  ErrorBanner,
  ProblemsPanel,
  RollbackBanner,
} from './chrome/banners.tsx';
import { StatusBar } from './chrome/status-bar.tsx';
import { Dialogs } from './chrome/dialogs.tsx';
import { Outline } from './outline/outline.tsx';
import { RowContextMenu } from './outline/context-menu.tsx';
import { LiveDock } from './live/live-dock.tsx';
import { start } from './lifecycle.ts';
import { useAppStore } from './store/app-store.ts';

export function App() {
  useEffect(() => start(), []);
  const electron = useAppStore((s) => s.info?.host === 'electron');
  return (
    <div className="app">
      {!electron && <MenuBar />}
      <Toolbar />
      <ConnectionBanner />
      <ConfirmBanner />
      <RollbackBanner />
      <ErrorBanner />
      <ProblemsPanel />
      <Outline />
      <LiveDock />
      <StatusBar />
      <Dialogs />
      <RowContextMenu />
    </div>
  );
}
