// Runtime: plain Node. The backend's connection to the privileged helper (a HelperPort).
// NOTE: interim: until electron/helper/client.ts lands this reports the helper as absent.

import { disconnectedHelper, type HelperPort } from './helper-port.ts';

export const DEFAULT_HELPER_SOCKET = '/run/treewall/helper.sock';

export function connectHelper(socketPath: string): HelperPort {
  return disconnectedHelper(socketPath);
}
