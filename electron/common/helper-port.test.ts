// A helper of another protocol version is still readable, and the status line says which side to
// update (shared/ipc/README.md, "How the protocol evolves").
import { describe, expect, it } from 'vitest';
import {
  helperStatusSchema,
  PROTOCOL_VERSION,
  type HelperStatusResult,
} from '../../shared/ipc/helper-protocol.ts';
import { connectedStatus } from './helper-port.ts';

const status = (protocol: number): HelperStatusResult =>
  ({
    protocol,
    active: true,
    appliedAt: null,
    ruleCount: 3,
    pendingConfirm: null,
    lastError: 'nft was slow',
  }) as unknown as HelperStatusResult;

describe('protocol versions', () => {
  it('a status reply of any protocol version parses (the number is read, not assumed)', () => {
    const shape = helperStatusSchema.shape.protocol;
    expect(shape.safeParse(PROTOCOL_VERSION + 1).success).toBe(true);
    expect(shape.safeParse(0).success).toBe(false);
  });

  it('the same version: the status line shows the helper last error', () => {
    expect(connectedStatus('/s', status(PROTOCOL_VERSION)).message).toBe('nft was slow');
  });

  it('an older helper: update the helper; a newer one: update the app', () => {
    expect(connectedStatus('/s', status(PROTOCOL_VERSION + 1)).message).toMatch(
      new RegExp(
        `protocol ${PROTOCOL_VERSION + 1} and this app ${PROTOCOL_VERSION}: update this app`,
      ),
    );
    if (PROTOCOL_VERSION > 1) {
      expect(connectedStatus('/s', status(PROTOCOL_VERSION - 1)).message).toMatch(
        /update the helper/,
      );
    }
  });
});
