/**
 * @module store/common
 * What both drivers share: the indexed columns of an activity, opaque keyset cursors, limits, numbered
 * migrations read from disk, and the mapping of driver errors to RAMPART_ERR_STORE_* codes (which never carry
 * SQL or bound values in their message).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Activity } from '../schema/activity.ts';
import type { PutResult } from './store.ts';
import { RampartError } from '../core/errors.ts';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;
/** Rows deleted per prune transaction: small enough that writers never wait long for the lock. */
export const PRUNE_BATCH_ROWS = 5000;

/**
 * Runs a bounded DELETE (at most PRUNE_BATCH_ROWS rows) until it deletes fewer than that; returns the total.
 * Short statements keep each lock brief; `between` lets a synchronous driver give the event loop a turn.
 */
export async function deleteInBatches(deleteBatch: () => number | Promise<number>, between?: () => Promise<void>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteBatch();
    total += n;
    if (n < PRUNE_BATCH_ROWS) return total;
    if (between) await between();
  }
}
/** Bounds on stored reject fields, so a 200 KB junk line never becomes a 200 KB row. */
export const REJECT_SAMPLE_MAX_CHARS = 4096;
export const REJECT_REASON_MAX_CHARS = 1024;
export const DEFAULT_REJECT_LIMIT = 100;

export const clampLimit = (limit: number | undefined, fallback = DEFAULT_PAGE_LIMIT): number => {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(limit)));
};

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * An instant as the store compares it: ISO-8601 UTC with milliseconds. The activity schema already normalises
 * `time`, so the regex fast path is the common case; anything else is parsed once.
 */
export function toIsoInstant(value: unknown, what: string): string {
  if (typeof value === 'string' && ISO_MS.test(value)) return value;
  if (typeof value === 'string' || value instanceof Date) {
    const ms = value instanceof Date ? value.getTime() : Date.parse(value);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw new RampartError('RAMPART_ERR_STORE_WRITE_FAILED', [`${what} is not an ISO-8601 date-time`]);
}

/** Normalises a query bound; a bad bound is the caller's error, not a store outage. */
export function queryInstant(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RampartError('RAMPART_ERR_STORE_INVALID_QUERY', [`${what} is not an ISO-8601 date-time`]);
  return new Date(ms).toISOString();
}

/** The columns both drivers index, extracted once per activity. */
export interface ActivityColumns {
  id: string;
  time: string;
  app: string;
  tenant: string;
  actorId: string | null;
  /** Lowercased so lookups by email are case-insensitive and use the index. */
  actorEmail: string | null;
  ip: string | null;
  action: string;
  category: string;
  outcome: string;
}

export function activityColumns(a: Activity): ActivityColumns {
  if (a === null || typeof a !== 'object' || typeof a.id !== 'string' || a.id.length === 0) {
    throw new RampartError('RAMPART_ERR_STORE_WRITE_FAILED', ['activity has no id']);
  }
  return {
    id: a.id,
    time: toIsoInstant(a.time, 'activity time'),
    app: a.app,
    tenant: a.tenant ?? '',
    actorId: a.actor?.id ?? null,
    actorEmail: a.actor?.email ? a.actor.email.toLowerCase() : null,
    ip: a.ip ?? null,
    action: a.action,
    category: a.category ?? 'other',
    outcome: a.outcome ?? 'unknown',
  };
}

/** Counts in input order; an id repeated inside one batch counts as inserted once, then as a duplicate. */
export function putResult(activities: Activity[], inserted: Set<string>): PutResult {
  const insertedIds: string[] = [];
  for (const a of activities) {
    if (inserted.delete(a.id)) insertedIds.push(a.id);
  }
  return { inserted: insertedIds.length, duplicates: activities.length - insertedIds.length, insertedIds };
}

/** Free-text needle, lowercased once (drivers compare against lowercased fields). */
export const textNeedle = (text: string): string => text.toLowerCase();

// ---- Cursors: opaque base64url of [time, id]; keyset pagination on (time, id), never OFFSET.

export interface KeysetPosition {
  time: string;
  id: string;
}

export function encodeCursor(pos: KeysetPosition): string {
  return Buffer.from(JSON.stringify([pos.time, pos.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): KeysetPosition | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  try {
    if (cursor.length > 4096) throw new Error('too long');
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && ISO_MS.test(v[0])) {
      return { time: v[0], id: v[1] };
    }
  } catch {
    // fall through to the one error below
  }
  throw new RampartError('RAMPART_ERR_STORE_INVALID_QUERY', ['the cursor is not one this store issued']);
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells that another page exists. */
export function toPage<R, T>(rows: R[], limit: number, item: (r: R) => T, position: (r: R) => KeysetPosition): { items: T[]; next: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(item), next: more ? encodeCursor(position(kept[kept.length - 1])) : null };
}

/** The rejects page condition after a cursor: newest first by (received_at, seq); the cursor's id is the seq. */
export function rejectsAfter(cursor: string | null | undefined): { time: string; seq: number } | null {
  const pos = decodeCursor(cursor);
  if (!pos) return null;
  const seq = Number(pos.id);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RampartError('RAMPART_ERR_STORE_INVALID_QUERY', ['the cursor is not one this store issued']);
  return { time: pos.time, seq };
}

// ---- Migrations: NNNN_name.sql files, applied in order, each recorded in schema_migrations.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: string): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const seen = new Set<number>();
  return files.map((f) => {
    const version = Number(f.slice(0, 4));
    if (seen.has(version)) throw new RampartError('RAMPART_ERR_STORE_MIGRATION_FAILED', [f, 'duplicate migration number']);
    seen.add(version);
    return { version, name: f.replace(/\.sql$/, ''), sql: readFileSync(join(dir, f), 'utf8') };
  });
}

// ---- Errors

/** A driver error's code (SQLITE_BUSY, 23505, ECONNREFUSED...), which names the problem without any values. */
export function driverCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length <= 64 ? code : 'unknown';
}

export const isRampart = (e: unknown): e is RampartError => e instanceof RampartError;
