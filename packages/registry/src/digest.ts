/**
 * Content addressing: `sha256:<hex>` of bytes (OCI image spec, "Digests").
 * Every blob and manifest is checked against its digest when it is read,
 * and a mismatch names both digests.
 */
import { createHash } from 'node:crypto';
import { MpvisorError } from '@mpvisor/mpapi';

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Throw DATA_LOSS unless `bytes` hash to `expected`; `what` names the object (e.g. `blob sha256:… of acme/fw@1.0.0`). */
export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  const got = sha256(bytes);
  if (got !== expected) throw new MpvisorError('DATA_LOSS', `${what}: content does not match its digest: expected ${expected}, got ${got}`);
}
