// Runtime: Node (Playwright fixtures). The page objects' fixtures plus `live` (a LivePage), and
// the document the live specs apply: the factory default with 2.6 "Protect servers" on, only its
// ssh service allowed, and the namespace's eth0 as the external interface.

import { buildDefaultDocument } from '../../resources/default-document.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import { test as base, expect } from './fixtures.ts';
import { LivePage } from './live-page.ts';

export const test = base.extend<{ live: LivePage }>({
  live: async ({ ui }, use) => {
    await use(new LivePage(ui.page, ui.outline));
  },
});

export { expect };

const enable = (rules: Rule[], ids: ReadonlySet<string>): Rule[] =>
  rules.map((r) => ({
    ...r,
    enabled: r.enabled || ids.has(r.id),
    children: enable(r.children, ids),
  }));

/** Ids of the default document's rules the live specs look at (stable: derived from numbers). */
export const RULES = {
  protectServers: 'd-2-6',
  ssh: 'd-2-6-1-1-2',
  deleteOthers: 'd-2-6-1-1-17',
  telnetProbe: 'd-2-1-5-1',
} as const;

export function protectServersDocument(): FirewallDocument {
  const doc = buildDefaultDocument();
  return {
    ...doc,
    settings: { ...doc.settings, externalInterfaces: ['eth0'] },
    rules: enable(doc.rules, new Set([RULES.protectServers, RULES.ssh])),
  };
}
