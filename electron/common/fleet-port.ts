// Runtime: plain Node. What the backend needs from the fleet (issue 17): the fleet file, each
// host's state, calls to one host's helper, host-tagged events, and staged rollouts. The
// backend's `fleet:*` and `host:*` channels are written against this port only; the
// implementation over the ssh transport and the multi-host client lives beside it
// (`fleet-link.ts`). `noFleet()` is the stand-in for a backend without one.
// Invariants: `status()` never rejects (an unreachable host is a state with an error); every
// rejected call is an ApiCallError naming the host.

import {
  ApiCallError,
  type EventName,
  type EventPayload,
  type FleetHostEntry,
  type FleetHostState,
  type FleetList,
  type Rollout,
  type Unsubscribe,
} from '../../shared/ipc/app-api.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import type { HelperCall, HelperParams, HelperResult } from '../../shared/ipc/helper-protocol.ts';

/** The events a fleet emits (app events, already host-tagged). */
export type FleetEventName = Extract<
  EventName,
  'fleet:state' | 'fleet:counters' | 'fleet:log' | 'fleet:changed' | 'fleet:rollout'
>;

export type FleetListener = <E extends FleetEventName>(event: E, payload: EventPayload<E>) => void;

export interface RolloutRequest {
  hosts: string[];
  canary?: string | null;
  document: FirewallDocument;
  confirmTimeoutSeconds?: number;
}

export interface FleetPort {
  list(): Promise<FleetList>;
  save(hosts: FleetHostEntry[]): Promise<FleetList>;
  /** Never rejects: an unreachable host has `reachable: false` and its error. */
  status(): Promise<FleetHostState[]>;
  call<C extends HelperCall>(
    host: string,
    call: C,
    params: HelperParams<C>,
  ): Promise<HelperResult<C>>;
  rollout(request: RolloutRequest): Promise<Rollout>;
  confirmRollout(id: string): Promise<Rollout>;
  stopRollout(id: string): Promise<Rollout>;
  onEvent(listener: FleetListener): Unsubscribe;
  close(): Promise<void>;
}

const none = () =>
  new ApiCallError({
    code: 'unsupported',
    message: 'No fleet here: this backend was started without a fleet file.',
  });

/** A backend without a fleet: an empty list, every other call refused plainly. */
export function noFleet(): FleetPort {
  return {
    list: async () => ({ path: null, hosts: [] }),
    save: async () => {
      throw none();
    },
    status: async () => [],
    call: async () => {
      throw none();
    },
    rollout: async () => {
      throw none();
    },
    confirmRollout: async () => {
      throw none();
    },
    stopRollout: async () => {
      throw none();
    },
    onEvent: () => () => {},
    close: async () => {},
  };
}
