// Runtime: browser (renderer/). The document shown before the backend has answered `document:new`.
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';

export const emptyDocument = (): FirewallDocument => ({
  rules: [],
  settings: { ...DEFAULT_SETTINGS },
});
