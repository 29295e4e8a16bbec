// Types of helper-bridge.js (plain JavaScript so it runs without tsx; see its header).

/** = DEFAULT_SOCKET_PATH of shared/ipc/helper-protocol.ts. */
export declare const BRIDGE_DEFAULT_SOCKET: string;
export declare const summary: string;
export declare const usage: string;
/** Joins stdin/stdout to the helper's socket; resolves with the exit code (and then exits). */
export declare function run(args: string[]): Promise<number>;
