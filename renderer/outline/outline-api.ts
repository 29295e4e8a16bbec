// Runtime: browser (renderer/). The mounted outline's react-arborist API, for commands that act on
// the tree itself (Select all). Its own module so that commands.ts can reach it without importing
// the outline's components (which import the context menu, which runs commands: a cycle).
import type { TreeApi } from 'react-arborist';
import type { Rule } from '../../shared/model/types.ts';

/** Set by the outline while it is mounted. */
export const outlineApi: { current: TreeApi<Rule> | null } = { current: null };
