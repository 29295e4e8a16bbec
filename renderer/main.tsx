// Runtime: browser (renderer/). Entry point: mounts the app. The backend (window.treewall) is
// found or created lazily by backend.ts, under Electron's preload or the browser host.

import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { App } from './app.tsx';
import { backend } from './backend.ts';
import './styles.css';

// zod 4 compiles parsers with `new Function`, which the strict CSP refuses (PLATFORM-NOTES).
z.config({ jitless: true });

// Create the browser host's transport before anything renders (window.treewall is the contract).
backend();

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
