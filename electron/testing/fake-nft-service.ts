// Runtime: plain Node, tests only. The helper's service over a stand-in nft (no kernel): a state
// folder in `dir`, no tcpdump and no netlink counter reader, so a test sees exactly the nft
// calls its stand-in answers. One definition for the helper's unit tests that drive the service.
import { join } from 'node:path';
import type { NftRunner } from '../helper/nft.ts';
import { HelperService } from '../helper/service.ts';

/** A HelperService over `dir` (a fresh one per call, as a restart of the helper makes it). */
export const serviceOverFakeNft = (dir: string, nft: NftRunner): HelperService =>
  new HelperService({
    socketPath: join(dir, 'sock'),
    stateDir: join(dir, 'state'),
    logGroup: 1,
    nft,
    tcpdump: '/nonexistent/tcpdump',
    netlinkCounters: false,
  });
