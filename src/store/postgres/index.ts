/**
 * @module store/postgres
 * The server store on PostgreSQL through `pg` (a Pool). An activity is a JSONB column plus its indexed columns;
 * `raw` goes to a `json` column, which keeps the payload text verbatim. Batches are inserted with one
 * `INSERT ... SELECT FROM json_array_elements($1) ON CONFLICT (id) DO NOTHING RETURNING id` per chunk, inside one
 * transaction with the connector checkpoint. A transaction is durable at COMMIT (synchronous_commit=on, the
 * server default). Every statement is parameterised.
 */
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { randomId } from '../../core/ids.ts';
import { RampartError } from '../../core/errors.ts';
import type { Activity } from '../../schema/activity.ts';
import type { Alert } from '../../schema/alert.ts';
import type { DirectoryUser } from '../../schema/directory.ts';
import type { ActivityQuery, AlertQuery, Checkpoint, Doc, IpRange, Page, PutResult, Reject, Store, StoreStats } from '../store.ts';
import {
  activityColumns,
  clampLimit,
  DEFAULT_REJECT_LIMIT,
  deleteInBatches,
  driverCode,
  isRampart,
  loadMigrations,
  PRUNE_BATCH_ROWS,
  putResult,
  REJECT_REASON_MAX_CHARS,
  REJECT_SAMPLE_MAX_CHARS,
  rejectsAfter,
  toIsoInstant,
  toPage,
  type Migration,
} from '../common.ts';
import { buildActivityQuery, buildAlertQuery, toAlertPage, type Dialect } from '../sql.ts';

export interface PostgresStoreOptions {
  url: string;
  /** Kept out of the URL and the config file (read with config/secret.ts). */
  password?: string;
  poolSize?: number;
  /** A schema of its own (created by migrate()); tests use a random one so parallel runs never collide. */
  schema?: string;
  migrationsDir?: string;
}

const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Rows per INSERT: bounds the size of one protocol message (about 1 KB per enriched activity). */
const ROWS_PER_INSERT = 2000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * One parameter per statement: a JSON array of rows `[id, time, app, tenant, actor_id, actor_email, ip, action,
 * category, outcome, body, raw]`, serialised by one JSON.stringify and parsed once by the server. `r->11` (json)
 * is the raw payload's text exactly as sent. When $2 is true, raw was sent as a JSON string holding its JSON text
 * (see activityRowsJson).
 */
const INSERT_ACTIVITIES =
  'INSERT INTO activities (id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body, raw) ' +
  "SELECT r->>0, (r->>1)::timestamptz, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9, (r->10)::jsonb, " +
  'CASE WHEN $2::boolean THEN (r->>11)::json ELSE r->11 END ' +
  'FROM json_array_elements($1::json) AS r ' +
  'ON CONFLICT (id) DO NOTHING RETURNING id';
const SET_CHECKPOINT =
  'INSERT INTO checkpoints (connector, key, value, updated_at) VALUES ($1, $2, $3, now()) ' +
  'ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';

const dialect: Dialect = {
  placeholder: (n) => `$${n}`,
  activityTime: (iso) => iso,
  unindexed: (c) => c,
  textMatch: (p, needle) => {
    const n = p.add(needle);
    return (
      `(strpos(lower(concat_ws(E'\\x1f', action, actor_id, actor_email, body->'actor'->>'name', body->'target'->>'id', ` +
      `body->'target'->>'email', body->'target'->>'name')), ${n}) > 0 ` +
      `OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(body->'objects') = 'array' THEN body->'objects' ELSE '[]'::jsonb END) AS o ` +
      `WHERE strpos(lower(concat_ws(E'\\x1f', o->>'id', o->>'name')), ${n}) > 0))`
    );
  },
};

/** SQLSTATE classes and socket errors that mean "cannot reach the database", not "this write is wrong". */
function isConnectionError(err: unknown): boolean {
  const code = driverCode(err);
  if (/^(08|28|53|57P)/.test(code) || code === '3D000') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH'].includes(code)) return true;
  const msg = (err as Error | null)?.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(msg);
}

/** The URL without credentials, for messages. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres';
  }
}

/**
 * JSON text PostgreSQL accepts: jsonb cannot hold U+0000 nor unpaired surrogates, so those (rare, from hostile
 * input) become U+FFFD. JSON.stringify escapes exactly those as \u0000 / \udXXX, which makes the check cheap.
 */
export function pgJson(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  return /\\u0000|\\ud[89a-f]/i.test(json) ? JSON.stringify(pgSafe(value ?? null)) : json;
}

type WellFormed = string & { toWellFormed(): string };
const cleanString = (s: string): string => (s as WellFormed).toWellFormed().replaceAll('\u0000', '\uFFFD');

function pgSafe(v: unknown): unknown {
  if (typeof v === 'string') return cleanString(v);
  if (Array.isArray(v)) return v.map(pgSafe);
  if (v !== null && typeof v === 'object') {
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return pgSafe(JSON.parse(JSON.stringify(v)));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[cleanString(k)] = pgSafe(x);
    return out;
  }
  return v;
}

/** The parameters of INSERT_ACTIVITIES for a chunk of activities. */
function activityRowsJson(chunk: Activity[]): [string, boolean] {
  const rows = chunk.map((a) => {
    const c = activityColumns(a);
    return [c.id, c.time, c.app, c.tenant, c.actorId, c.actorEmail, c.ip, c.action, c.category, c.outcome, { ...a, raw: undefined }, a.raw ?? null];
  });
  const json = JSON.stringify(rows);
  if (!/\\u0000|\\ud[89a-f]/i.test(json)) return [json, false];
  // Rare: U+0000 or a lone surrogate somewhere. The server cannot even read such a row through json operators, so
  // clean every part that becomes text/jsonb, and send raw double-encoded: its JSON text, kept verbatim (json type).
  return [JSON.stringify(rows.map((r) => [...(pgSafe(r.slice(0, 11)) as unknown[]), JSON.stringify(r[11])])), true];
}

/** A text column value PostgreSQL accepts (no U+0000). */
const pgText = (s: string | null): string | null => (s !== null && s.includes('\u0000') ? cleanString(s) : s);

type Row = Record<string, unknown>;

export class PostgresStore implements Store {
  readonly driver = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #where: string;
  readonly #schema: string | undefined;
  readonly #migrationsDir: string;
  #closed = false;

  constructor(opts: PostgresStoreOptions) {
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
      throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [displayUrl(opts.url), 'schema name must match [a-z_][a-z0-9_]*']);
    }
    this.#schema = opts.schema;
    this.#where = displayUrl(opts.url);
    this.#migrationsDir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
    this.#pool = new pg.Pool({
      connectionString: opts.url,
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      max: opts.poolSize ?? 10,
      application_name: 'rampart',
      connectionTimeoutMillis: 10_000,
      // A startup parameter, so every pooled connection resolves tables in the store's own schema.
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    this.#pool.on('error', () => {});
  }

  async migrate(): Promise<void> {
    let migrations: Migration[];
    try {
      migrations = loadMigrations(this.#migrationsDir);
    } catch (cause) {
      if (isRampart(cause)) throw cause;
      throw new RampartError('RAMPART_ERR_STORE_MIGRATION_FAILED', ['(reading migrations)', driverCode(cause)], { cause });
    }
    const client = await this.#connect();
    try {
      if (this.#schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
      for (const m of migrations) {
        try {
          await client.query('BEGIN');
          // Serialises migrations of this schema across processes; released at COMMIT/ROLLBACK.
          await client.query("SELECT pg_advisory_xact_lock(hashtext('rampart.migrate.' || current_schema()))");
          await client.query(
            'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
          );
          const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
          if (done.rowCount === 0) {
            await client.query(m.sql);
            await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          }
          await client.query('COMMIT');
        } catch (cause) {
          await client.query('ROLLBACK').catch(() => {});
          if (isConnectionError(cause)) throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [this.#where, driverCode(cause)], { cause });
          throw new RampartError('RAMPART_ERR_STORE_MIGRATION_FAILED', [m.name, (cause as Error).message ?? driverCode(cause)], { cause });
        }
      }
    } catch (cause) {
      if (isRampart(cause)) throw cause;
      throw new RampartError('RAMPART_ERR_STORE_MIGRATION_FAILED', ['(schema)', driverCode(cause)], { cause });
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  get schemaName(): string | undefined {
    return this.#schema;
  }

  /** Drops the store's own schema (tests and benchmarks); refuses when the store has none. */
  async dropSchema(): Promise<void> {
    if (!this.#schema) throw new RampartError('RAMPART_ERR_STORE_WRITE_FAILED', ['dropSchema needs a store opened with a schema']);
    await this.#write('dropSchema', () => this.#pool.query(`DROP SCHEMA IF EXISTS ${this.#schema} CASCADE`));
  }

  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [this.#where, driverCode(cause)], { cause });
    }
  }

  async #read<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      if (isRampart(cause)) throw cause;
      throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [this.#where, `${op} (${driverCode(cause)})`], { cause });
    }
  }

  async #write<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      if (isRampart(cause) && cause.code !== 'RAMPART_ERR_STORE_WRITE_FAILED') throw cause;
      if (isConnectionError(cause)) throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [this.#where, `${op} (${driverCode(cause)})`], { cause });
      const why = isRampart(cause) ? cause.args[0] : driverCode(cause);
      throw new RampartError('RAMPART_ERR_STORE_WRITE_FAILED', [`${op} (${why})`], { cause });
    }
  }

  /** BEGIN ... COMMIT on one pooled connection; any throw rolls back. */
  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  // ---- Activities

  async putActivities(activities: Activity[], checkpoint?: Checkpoint): Promise<PutResult> {
    return this.#write('putActivities', () =>
      this.#tx(async (client) => {
        const inserted = new Set<string>();
        for (let start = 0; start < activities.length; start += ROWS_PER_INSERT) {
          const chunk = activities.slice(start, start + ROWS_PER_INSERT);
          const res = await client.query<{ id: string }>(INSERT_ACTIVITIES, activityRowsJson(chunk));
          for (const r of res.rows) inserted.add(r.id);
        }
        if (checkpoint) await client.query(SET_CHECKPOINT, [checkpoint.connector, checkpoint.key, checkpoint.value]);
        return putResult(activities, inserted);
      }),
    );
  }

  async getActivity(id: string): Promise<Activity | null> {
    return this.#read('getActivity', async () => {
      const res = await this.#pool.query('SELECT body, raw::text AS raw FROM activities WHERE id = $1', [id]);
      return res.rows.length ? activityFromRow(res.rows[0]) : null;
    });
  }

  async queryActivities(q: ActivityQuery): Promise<Page<Activity>> {
    const limit = clampLimit(q.limit);
    const { sql, params } = buildActivityQuery(dialect, q, limit, 'time, id, body, raw::text AS raw');
    return this.#read('queryActivities', async () => {
      const res = await this.#pool.query(sql, params);
      return toPage(res.rows as Row[], limit, activityFromRow, position);
    });
  }

  async stats(): Promise<StoreStats> {
    return this.#read('stats', async () => {
      const res = await this.#pool.query(
        `SELECT (SELECT count(*) FROM activities)::bigint AS activities,
                (SELECT min(time) FROM activities) AS oldest, (SELECT max(time) FROM activities) AS newest,
                (SELECT count(*) FROM alerts)::bigint AS alerts, (SELECT count(*) FROM rejects)::bigint AS rejects,
                (SELECT count(*) FROM directory_users)::bigint AS directory_users,
                (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = current_schema() AND c.relkind = 'r')::bigint AS bytes`,
      );
      const r = res.rows[0];
      const iso = (t: Date | null) => (t === null ? null : t.toISOString());
      return {
        driver: this.driver,
        activities: Number(r.activities),
        oldestActivity: iso(r.oldest),
        newestActivity: iso(r.newest),
        alerts: Number(r.alerts),
        rejects: Number(r.rejects),
        directoryUsers: Number(r.directory_users),
        bytes: Number(r.bytes),
      };
    });
  }

  async countActivities(): Promise<number> {
    return this.#read('countActivities', async () => {
      const res = await this.#pool.query('SELECT count(*)::bigint AS n FROM activities');
      return Number(res.rows[0].n);
    });
  }

  async pruneActivities(before: string): Promise<number> {
    return this.#pruneWith('pruneActivities', 'DELETE FROM activities WHERE id IN (SELECT id FROM activities WHERE time < $1 LIMIT $2)', [
      toIsoInstant(before, 'prune bound'),
    ]);
  }

  async pruneRejects(before: string): Promise<number> {
    return this.#pruneWith('pruneRejects', 'DELETE FROM rejects WHERE seq IN (SELECT seq FROM rejects WHERE received_at < $1 LIMIT $2)', [
      toIsoInstant(before, 'prune bound'),
    ]);
  }

  async pruneDocs(kind: string, before: string): Promise<number> {
    return this.#pruneWith(
      'pruneDocs',
      'DELETE FROM docs WHERE kind = $1 AND id IN (SELECT id FROM docs WHERE kind = $1 AND updated_at < $2 LIMIT $3)',
      [kind, toIsoInstant(before, 'prune bound')],
    );
  }

  /** Short statements of bounded size: each holds its row locks only for one batch. The last parameter is the batch size. */
  #pruneWith(op: string, sql: string, params: unknown[]): Promise<number> {
    return deleteInBatches(async () => (await this.#write(op, () => this.#pool.query(sql, [...params, PRUNE_BATCH_ROWS]))).rowCount ?? 0);
  }

  // ---- Alerts

  async putAlert(alert: Alert): Promise<void> {
    await this.#write('putAlert', () =>
      this.#pool.query(
        'INSERT INTO alerts (id, time, status, severity, detection, user_key, updated_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ' +
          'ON CONFLICT (id) DO UPDATE SET time = excluded.time, status = excluded.status, severity = excluded.severity, ' +
          'detection = excluded.detection, user_key = excluded.user_key, updated_at = excluded.updated_at, body = excluded.body',
        [
          pgText(alert.id),
          toIsoInstant(alert.time, 'alert time'),
          alert.status,
          alert.severity,
          pgText(alert.detection),
          pgText(alert.user?.toLowerCase() ?? null),
          toIsoInstant(alert.updatedAt, 'alert updatedAt'),
          pgJson(alert),
        ],
      ),
    );
  }

  async getAlert(id: string): Promise<Alert | null> {
    return this.#read('getAlert', async () => {
      const res = await this.#pool.query('SELECT body FROM alerts WHERE id = $1', [id]);
      return res.rows.length ? (res.rows[0].body as Alert) : null;
    });
  }

  async listAlerts(q: AlertQuery): Promise<Page<Alert>> {
    const limit = clampLimit(q.limit);
    const { sql, params } = buildAlertQuery(dialect, q, limit);
    return this.#read('listAlerts', async () => {
      const res = await this.#pool.query(sql, params);
      return toAlertPage(res.rows as Row[], limit, q.sort, (r) => r.body as Alert, (r) => ({ ...position(r), severity: r.severity as string, userKey: r.user_key as string | null }));
    });
  }

  // ---- Directory

  async putDirectoryUsers(users: DirectoryUser[]): Promise<void> {
    // Last write wins inside one call; ON CONFLICT DO UPDATE may not touch a row twice in one statement.
    const byKey = new Map<string, DirectoryUser>();
    for (const u of users) byKey.set(`${u.app}\u0000${u.id}`, u);
    const unique = [...byKey.values()];
    await this.#write('putDirectoryUsers', () =>
      this.#tx(async (client) => {
        for (let start = 0; start < unique.length; start += ROWS_PER_INSERT) {
          const chunk = unique.slice(start, start + ROWS_PER_INSERT);
          await client.query(
            'INSERT INTO directory_users (app, id, email_lc, updated_at, body) ' +
              'SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) ' +
              'ON CONFLICT (app, id) DO UPDATE SET email_lc = excluded.email_lc, updated_at = excluded.updated_at, body = excluded.body',
            [
              chunk.map((u) => pgText(u.app)),
              chunk.map((u) => pgText(u.id)),
              chunk.map((u) => pgText(u.email?.toLowerCase() ?? null)),
              chunk.map((u) => u.updatedAt),
              chunk.map((u) => pgJson(u)),
            ],
          );
        }
      }),
    );
  }

  async getDirectoryUser(app: string, idOrEmail: string): Promise<DirectoryUser | null> {
    return this.#read('getDirectoryUser', async () => {
      const byId = await this.#pool.query('SELECT body FROM directory_users WHERE app = $1 AND id = $2', [app, idOrEmail]);
      if (byId.rows.length) return byId.rows[0].body as DirectoryUser;
      const byEmail = await this.#pool.query(
        'SELECT body FROM directory_users WHERE app = $1 AND email_lc = $2 ORDER BY updated_at DESC, id LIMIT 1',
        [app, idOrEmail.toLowerCase()],
      );
      return byEmail.rows.length ? (byEmail.rows[0].body as DirectoryUser) : null;
    });
  }

  async listDirectoryUsers(app?: string): Promise<DirectoryUser[]> {
    return this.#read('listDirectoryUsers', async () => {
      const res =
        app === undefined
          ? await this.#pool.query('SELECT body FROM directory_users ORDER BY app, id')
          : await this.#pool.query('SELECT body FROM directory_users WHERE app = $1 ORDER BY id', [app]);
      return res.rows.map((r) => r.body as DirectoryUser);
    });
  }

  // ---- IP ranges

  async putIpRange(range: IpRange): Promise<void> {
    await this.#write('putIpRange', () =>
      this.#pool.query('INSERT INTO ip_ranges (name, body) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = excluded.body', [
        pgText(range.name),
        pgJson(range),
      ]),
    );
  }

  async deleteIpRange(name: string): Promise<boolean> {
    return this.#write('deleteIpRange', async () => ((await this.#pool.query('DELETE FROM ip_ranges WHERE name = $1', [name])).rowCount ?? 0) > 0);
  }

  async listIpRanges(): Promise<IpRange[]> {
    return this.#read('listIpRanges', async () => (await this.#pool.query('SELECT body FROM ip_ranges ORDER BY name')).rows.map((r) => r.body as IpRange));
  }

  // ---- Checkpoints

  async getCheckpoint(connector: string, key: string): Promise<string | null> {
    return this.#read('getCheckpoint', async () => {
      const res = await this.#pool.query('SELECT value FROM checkpoints WHERE connector = $1 AND key = $2', [connector, key]);
      return res.rows.length ? (res.rows[0].value as string) : null;
    });
  }

  async setCheckpoint(cp: Checkpoint): Promise<void> {
    await this.#write('setCheckpoint', () => this.#pool.query(SET_CHECKPOINT, [pgText(cp.connector), pgText(cp.key), pgText(cp.value)]));
  }

  // ---- Rejects

  async putRejects(rejects: Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    await this.#write('putRejects', () =>
      this.#pool.query(
        'INSERT INTO rejects (id, source, code, reason, sample, received_at) ' +
          'SELECT id, source, code, reason, sample, received_at ' +
          'FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS r(id, source, code, reason, sample, received_at, n) ' +
          'ORDER BY n ON CONFLICT (id) DO NOTHING',
        [
          rejects.map((r) => pgText(r.id ?? randomId('rej'))),
          rejects.map((r) => pgText(r.source)),
          rejects.map((r) => pgText(r.code)),
          rejects.map((r) => pgText(r.reason.slice(0, REJECT_REASON_MAX_CHARS))),
          rejects.map((r) => pgText(r.sample.slice(0, REJECT_SAMPLE_MAX_CHARS))),
          rejects.map((r) => r.receivedAt),
        ],
      ),
    );
  }

  async listRejects(limit = DEFAULT_REJECT_LIMIT, cursor?: string | null): Promise<Page<Reject>> {
    const n = clampLimit(limit, DEFAULT_REJECT_LIMIT);
    const after = rejectsAfter(cursor);
    const cols = 'SELECT seq, id, source, code, reason, sample, received_at FROM rejects';
    return this.#read('listRejects', async () => {
      const res = after
        ? await this.#pool.query(`${cols} WHERE received_at < $1 OR (received_at = $1 AND seq < $2) ORDER BY received_at DESC, seq DESC LIMIT $3`, [after.time, after.seq, n + 1])
        : await this.#pool.query(`${cols} ORDER BY received_at DESC, seq DESC LIMIT $1`, [n + 1]);
      const reject = (r: Row): Reject => ({
        id: r.id as string,
        source: r.source as string,
        code: r.code as string,
        reason: r.reason as string,
        sample: r.sample as string,
        receivedAt: r.received_at as string,
      });
      return toPage(res.rows as Row[], n, reject, (r) => ({ time: r.received_at as string, id: String(r.seq) }));
    });
  }

  // ---- Documents

  async putDoc(doc: Doc): Promise<void> {
    await this.#write('putDoc', () =>
      this.#pool.query(
        'INSERT INTO docs (kind, id, updated_at, body) VALUES ($1, $2, $3, $4) ' +
          'ON CONFLICT (kind, id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body',
        [pgText(doc.kind), pgText(doc.id), doc.updatedAt, pgJson(doc.body)],
      ),
    );
  }

  /** Compare-and-set in one statement: written only when the stored updatedAt is `expected` (null = absent). */
  async putDocIf(doc: Doc, expected: string | null): Promise<boolean> {
    return this.#write('putDocIf', async () => {
      const res =
        expected === null
          ? await this.#pool.query('INSERT INTO docs (kind, id, updated_at, body) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, id) DO NOTHING', [
              pgText(doc.kind),
              pgText(doc.id),
              doc.updatedAt,
              pgJson(doc.body),
            ])
          : await this.#pool.query('UPDATE docs SET updated_at = $1, body = $2 WHERE kind = $3 AND id = $4 AND updated_at = $5', [
              doc.updatedAt,
              pgJson(doc.body),
              pgText(doc.kind),
              pgText(doc.id),
              expected,
            ]);
      return res.rowCount === 1;
    });
  }

  async getDoc<T = unknown>(kind: string, id: string): Promise<Doc<T> | null> {
    return this.#read('getDoc', async () => {
      const res = await this.#pool.query('SELECT kind, id, updated_at, body FROM docs WHERE kind = $1 AND id = $2', [kind, id]);
      return res.rows.length ? docFromRow<T>(res.rows[0]) : null;
    });
  }

  async listDocs<T = unknown>(kind: string): Promise<Doc<T>[]> {
    return this.#read('listDocs', async () => {
      const res = await this.#pool.query('SELECT kind, id, updated_at, body FROM docs WHERE kind = $1 ORDER BY id', [kind]);
      return res.rows.map((r: Row) => docFromRow<T>(r));
    });
  }

  async deleteDoc(kind: string, id: string): Promise<boolean> {
    return this.#write('deleteDoc', async () => ((await this.#pool.query('DELETE FROM docs WHERE kind = $1 AND id = $2', [kind, id])).rowCount ?? 0) > 0);
  }
}

const position = (r: Row) => ({ time: (r.time as Date).toISOString(), id: r.id as string });

function activityFromRow(r: Row): Activity {
  const body = r.body as Activity;
  // `raw` is the last field of the schema; put it back where it was.
  return { ...body, raw: r.raw === null || r.raw === undefined ? null : JSON.parse(r.raw as string) };
}

function docFromRow<T>(r: Row): Doc<T> {
  return { kind: r.kind as string, id: r.id as string, updatedAt: r.updated_at as string, body: r.body as T };
}
