/** @module core/ids  Stable ids: content hashes where idempotency matters, random ids elsewhere. */
import { createHash, randomUUID } from 'node:crypto';

/** A stable id from the parts that identify a record: the same parts always give the same id. */
export function stableId(prefix: string, ...parts: ReadonlyArray<string | number | null | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p ?? '')).update('\u0000');
  return `${prefix}_${h.digest('base64url').slice(0, 22)}`;
}

export const randomId = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '')}`;
