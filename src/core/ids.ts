/** @module core/ids  Stable ids: content hashes where idempotency matters, random ids elsewhere. */
import * as crypto from 'node:crypto';

// One-shot hashing (Node >= 20.12) avoids a Hash object per call on the ingest hot path.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'base64url') => string }).hash;
const sha256 = oneShot
  ? (s: string) => oneShot('sha256', s, 'base64url')
  : (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

/** A stable id from the parts that identify a record: the same parts always give the same id. */
export function stableId(prefix: string, ...parts: ReadonlyArray<string | number | null | undefined>): string {
  let joined = '';
  for (const p of parts) joined += String(p ?? '') + '\u0000';
  return hashedId(prefix, joined);
}

/** stableId's last step, for callers that join their parts themselves (each part followed by U+0000). */
export const hashedId = (prefix: string, joined: string): string => `${prefix}_${sha256(joined).slice(0, 22)}`;

export const randomId = (prefix: string): string => `${prefix}_${crypto.randomUUID().replace(/-/g, '')}`;
