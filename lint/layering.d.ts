// Types of lint/layering.js, for its test.
import type { ESLint } from 'eslint';

export const repoRoot: string;
export function resolveRelative(fromFile: string, spec: string): string | null;
export function runtimeImports(file: string): string[];
export function findCycle(start: string, within?: (file: string) => boolean): string[] | null;
declare const plugin: ESLint.Plugin;
export default plugin;
