// Runtime: browser (renderer/). A forwarded helper call aimed where the host picker points: this
// machine's helper (`helper:*`, `triggered:*`), or each host of the fleet target (`host:*`), one
// result per host. Used by the live panels whose actions follow the picker (triggered table).

import {
  forwardChannel,
  hostChannel,
  type ApiResult,
  type ChannelRequest,
  type ChannelResponse,
  type ForwardChannel,
  type ForwardedCall,
  type HostChannel,
} from '../../shared/ipc/app-api.ts';
import { invoke } from '../backend.ts';
import { isLocalTarget, targetHosts } from '../store/fleet-store.ts';

export interface TargetResult<T> {
  /** The fleet host, or null for this machine. */
  host: string | null;
  result: ApiResult<T>;
}

export async function targetCall<C extends ForwardedCall>(
  call: C,
  params: ChannelRequest<ForwardChannel<C>>,
): Promise<TargetResult<ChannelResponse<ForwardChannel<C>>>[]> {
  if (isLocalTarget()) {
    const result = await invoke(forwardChannel(call), params as never);
    return [{ host: null, result: result as ApiResult<ChannelResponse<ForwardChannel<C>>> }];
  }
  return Promise.all(
    targetHosts().map(async (host) => ({
      host,
      result: (await invoke(hostChannel(call), {
        host,
        params,
      } as unknown as ChannelRequest<HostChannel<C>>)) as ApiResult<
        ChannelResponse<ForwardChannel<C>>
      >,
    })),
  );
}

/** The first failure of a target call, prefixed with its host; null when all worked. */
export function firstFailure(results: readonly TargetResult<unknown>[]): string | null {
  for (const { host, result } of results)
    if (!result.ok) return host ? `${host}: ${result.error.message}` : result.error.message;
  return null;
}
