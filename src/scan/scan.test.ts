/**
 * runScan with the real enricher and detection engine: the order activities reach detection, and that the
 * on-disk sort (lines held as bytes and read again, multi-activity lines held as activity JSON) changes nothing
 * about the result.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticWorkplace, mulberry32 } from '../../bench/synthetic.ts';
import { ConfigSchema } from '../config/schema.ts';
import { INPUT_FORMATS } from '../connectors/registry.ts';
import { createEnricher } from '../enrich/index.ts';
import { buildEngine } from '../main.ts';
import type { Activity } from '../schema/activity.ts';
import type { Enricher } from '../enrich/enricher.ts';
import type { InputFormat } from '../connectors/input-format.ts';
import { runScan, type ScanOptions, type ScanReject } from './scan.ts';
import { SqliteStore } from '../store/sqlite/index.ts';
import { PostgresStore } from '../store/postgres/index.ts';
import type { Store } from '../store/store.ts';
import { randomBytes } from 'node:crypto';

const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'mixed.ndjson');
const pgUrl = process.env.RAMPART_TEST_PG_URL;
if (!pgUrl) console.warn('scan import into PostgreSQL skipped: set RAMPART_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it');
/** Stores a scan imports into: SQLite through its writer thread (as the CLI opens it), and PostgreSQL when available. */
const STORES: { name: string; open: () => Store }[] = [
  { name: 'SQLite (writer thread)', open: () => new SqliteStore({ path: join(dir, 'import.db'), writer: 'worker' }) },
  ...(pgUrl ? [{ name: 'PostgreSQL', open: () => new PostgresStore({ url: pgUrl, schema: `rampart_scan_${randomBytes(6).toString('hex')}`, poolSize: 4 }) }] : []),
];
const config = ConfigSchema.parse({});
let enricher: Enricher;

/** A Workplace webhook body with several changes: one line, several activities (held as activity JSON). */
const envelope = (user: number, times: string[]) =>
  JSON.stringify({
    object: 'workplace_security',
    entry: [
      {
        id: '504942447160640',
        time: 1767225600,
        changes: times.map((ts, i) => ({
          field: 'sessions',
          value: { event: i % 2 ? 'USER_LOGOUT' : 'USER_LOGIN', timestamp: ts, actor_id: String(100 + user), actor_email: `multi${user}@acme.example`, ip: '81.2.69.142', useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0' },
        })),
      },
    ],
  });

/** A line in Rampart's own format (docs/schema.md). */
const rampartLine = (n: number, time: string) =>
  JSON.stringify({ time, app: 'workplace', tenant: 't1', action: 'USER_LOGIN', category: 'login', outcome: 'success', actor: { id: `r${n}`, email: `r${n}@acme.example`, name: null }, ip: '1.1.1.1' });

beforeAll(async () => {
  enricher = await createEnricher(config);
  // 3,000 synthetic webhook lines, shuffled (an export is not always in time order), with lines of the other
  // kinds and bad lines mixed in.
  const synth = join(dir, 'synth.ndjson');
  await writeSyntheticWorkplace({ events: 3000, users: 40, seed: 11, path: synth });
  const lines = readFileSync(synth, 'utf8').trim().split('\n');
  const rnd = mulberry32(5);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  lines.splice(100, 0, envelope(1, ['2026-01-01T10:00:00+0000', '2026-01-01T00:30:00+0000', '2026-01-02T08:00:00+0000']));
  lines.splice(700, 0, envelope(2, ['2026-01-03T10:00:00+0000', '2026-01-01T00:00:01+0000']));
  lines.splice(1500, 0, rampartLine(1, '2026-01-02T12:00:00Z'), '{"truncated":', rampartLine(2, '2026-01-01T00:00:00Z'));
  lines.splice(2500, 0, '[1,2,3]', JSON.stringify({ time: 'yesterday', app: 'x', action: 'y', actor: {} }));
  writeFileSync(file, lines.join('\n') + '\n');
});

async function scan(sort: Pick<ScanOptions, 'sortMemoryEvents' | 'sortMemoryBytes'>) {
  const seen: Activity[] = [];
  const { engine } = buildEngine(config);
  const result = await runScan(
    { files: [file], maxLineBytes: 1 << 20, rejectsPath: null, ...sort },
    {
      enricher,
      formats: INPUT_FORMATS,
      engine: {
        process: (a) => {
          seen.push(structuredClone(a));
          return engine.process(a);
        },
      },
    },
  );
  return { ...result, seen };
}

describe('runScan', () => {
  it('hands every activity to detection enriched and in event-time order, input order for equal times', async () => {
    const { seen, summary } = await scan({ sortMemoryEvents: 1_000_000 });
    expect(summary.lines).toBe(3007);
    expect(summary.rejects).toBe(3);
    expect(summary.rejectsByCode).toEqual({ RAMPART_ERR_INPUT_MALFORMED_JSON: 1, RAMPART_ERR_INPUT_NOT_OBJECT: 1, RAMPART_ERR_INPUT_INVALID_RECORD: 1 });
    expect(summary.events).toBe(3000 + 3 + 2 + 2);
    expect(summary.eventsByFormat).toEqual({ 'workplace-webhook': 3005, rampart: 2 });
    expect(summary.spilledRuns).toBe(0);
    expect(summary.duplicates).toBe(0);
    expect(seen).toHaveLength(summary.events);
    for (let i = 1; i < seen.length; i++) expect(seen[i - 1].time <= seen[i].time).toBe(true);
    // Enriched after the sort: the bundled geo database places these addresses.
    expect(seen.filter((a) => a.actor.email?.startsWith('multi')).map((a) => a.geo?.country)).toEqual(['GB', 'GB', 'GB', 'GB', 'GB']);
    expect(seen.find((a) => a.actor.id === 'r1')?.geo?.country).toBe('AU');
    expect(seen.find((a) => a.actor.id === 'r1')?.source).toBe('scan');
    // The multi-change envelope's activities each sit at their own time.
    expect(seen.filter((a) => a.actor.email === 'multi1@acme.example').map((a) => a.time)).toEqual(['2026-01-01T00:30:00.000Z', '2026-01-01T10:00:00.000Z', '2026-01-02T08:00:00.000Z']);
  });

  it('gives the same activities and alerts when the sort spills to disk, by events or by bytes', async () => {
    const inMemory = await scan({ sortMemoryEvents: 1_000_000 });
    expect(inMemory.alerts.length).toBeGreaterThan(0);
    const byEvents = await scan({ sortMemoryEvents: 250 });
    const byBytes = await scan({ sortMemoryEvents: 1_000_000, sortMemoryBytes: 64 * 1024 });
    expect(byEvents.summary.spilledRuns).toBe(12);
    expect(byBytes.summary.spilledRuns).toBeGreaterThan(10);
    for (const other of [byEvents, byBytes]) {
      // receivedAt is the time of each scan, the one field that may differ.
      const unstamped = (seen: Activity[]) => seen.map(({ receivedAt: _r, ...rest }) => rest);
      expect(unstamped(other.seen)).toEqual(unstamped(inMemory.seen));
      const strip = (alerts: typeof inMemory.alerts) => alerts.map(({ createdAt: _c, updatedAt: _u, ...rest }) => rest);
      expect(strip(other.alerts)).toEqual(strip(inMemory.alerts));
      expect({ ...other.summary, spilledRuns: 0, elapsedMs: 0, eventsPerSec: 0 }).toEqual({ ...inMemory.summary, elapsedMs: 0, eventsPerSec: 0 });
    }
  });

  it('reports progress while reading (bytes) and then while detecting (events)', async () => {
    const calls: [number, number, string][] = [];
    const { summary } = await runScan(
      { files: [file], maxLineBytes: 1 << 20, rejectsPath: null, sortMemoryEvents: 1000, onProgress: (d, t, p) => calls.push([d, t, p]) },
      { enricher, formats: INPUT_FORMATS, engine: { process: () => [] } },
    );
    const firstDetect = calls.findIndex((c) => c[2] === 'detect');
    expect(firstDetect).toBeGreaterThan(0);
    expect(calls.slice(firstDetect).every((c) => c[2] === 'detect')).toBe(true); // reading is over before detection
    expect(calls[firstDetect - 1]).toEqual([statSync(file).size, statSync(file).size, 'read']);
    expect(calls.at(-1)).toEqual([summary.events, summary.events, 'detect']);
  });

  it.each(STORES)('imports every activity, enriched, and every alert into $name, writing while detection goes on', async ({ open }) => {
    const store = open();
    await store.migrate();
    try {
      const real = buildEngine(config).engine;
      const ids = new Set<string>();
      const engine = { process: (a: Activity) => (ids.add(a.id), real.process(a)) };
      const opts = { files: [file], maxLineBytes: 1 << 20, rejectsPath: null, sortMemoryEvents: 1000, importBatchSize: 64 };
      const first = await runScan(opts, { enricher, formats: INPUT_FORMATS, engine, store });
      expect(ids.size).toBeGreaterThan(2900); // 3,007 events; the synthetic file repeats some ids
      expect(first.summary.imported).toBe(ids.size);
      expect(await store.countActivities()).toBe(ids.size);
      expect(first.alerts.length).toBeGreaterThan(0);
      expect((await store.listAlerts({ limit: 1000 })).items.map((a) => a.id).sort()).toEqual(first.alerts.slice(0, 1000).map((a) => a.id).sort());
      for (const id of [...ids].slice(0, 20)) expect((await store.getActivity(id))?.geo?.country).toMatch(/^[A-Z]{2}$/); // stored enriched
      const again = await runScan(opts, { enricher, formats: INPUT_FORMATS, engine: buildEngine(config).engine, store });
      expect(again.summary.imported).toBe(0);
    } finally {
      if (store instanceof PostgresStore) await store.dropSchema().catch(() => undefined);
      await store.close();
    }
  });

  /** Runs `fn` with os.tmpdir() (where the sorter makes its folder) pointing at a fresh folder. */
  async function withTmpDir(name: string, fn: (sortDir: string) => Promise<void>) {
    const sortDir = join(dir, name);
    mkdirSync(sortDir);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = sortDir;
    try {
      await fn(sortDir);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  }
  const spilling = { files: [file], maxLineBytes: 1 << 20, rejectsPath: null, sortMemoryEvents: 100 };

  it('removes its sorted runs from disk when the scan fails part-way, reading or detecting', async () => {
    await withTmpDir('fail-detect', async (sortDir) => {
      let seen = 0;
      let runs = -1;
      const engine = {
        process: () => {
          if (++seen < 50) return [];
          runs = readdirSync(join(sortDir, readdirSync(sortDir)[0])).length;
          throw new Error('detection failed');
        },
      };
      await expect(runScan(spilling, { enricher, formats: INPUT_FORMATS, engine })).rejects.toThrow('detection failed');
      expect(runs).toBe(30);
      expect(readdirSync(sortDir)).toEqual([]);
    });
    await withTmpDir('fail-read', async (sortDir) => {
      let runs = -1;
      const onReject = () => {
        // The first bad line is line 1,502: fifteen runs of 100 events are on disk by then.
        runs = readdirSync(join(sortDir, readdirSync(sortDir)[0])).length;
        throw new Error('stderr closed');
      };
      await expect(runScan({ ...spilling, onReject }, { enricher, formats: INPUT_FORMATS, engine: { process: () => [] } })).rejects.toThrow('stderr closed');
      expect(runs).toBe(15);
      expect(readdirSync(sortDir)).toEqual([]);
    });
  });

  it('stops with RAMPART_ERR_INPUT_SORT_FAILED when the temporary folder cannot take a run', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(dir, 'no-such-folder');
    try {
      await expect(runScan(spilling, { enricher, formats: INPUT_FORMATS, engine: { process: () => [] } })).rejects.toMatchObject({ code: 'RAMPART_ERR_INPUT_SORT_FAILED' });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('runScan: repeated events, hostile lines and its files', () => {
  const put = (name: string, content: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  /** A failed sign-in in the rampart format, with the id an export gives it. */
  const failedLogin = (n: number, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id: `act-fail-${n}`, time: new Date(Date.UTC(2026, 2, 1, 9, n)).toISOString(), app: 'workplace', action: 'USER_LOGIN_FAILED', category: 'login', outcome: 'failure', interactive: true, actor: { email: 'ana@acme.example' }, ip: '81.2.69.160', ...extra });
  const lines = (...xs: string[]) => xs.join('\n') + '\n';
  async function scanFiles(files: string[], o: Partial<ScanOptions> = {}, formats: readonly InputFormat[] = INPUT_FORMATS) {
    const detected: string[] = [];
    const rejects: ScanReject[] = [];
    const engine = { process: (a: Activity) => (detected.push(a.id), []) };
    const { summary } = await runScan({ files, maxLineBytes: 1 << 20, sortMemoryEvents: 1000, rejectsPath: null, onReject: (r) => rejects.push(r), ...o }, { enricher, formats, engine });
    return { detected, rejects, summary };
  }

  it('detects an event once however often it is repeated (same id and time), in one file or across files, and counts the copies', async () => {
    const unique = put('fail-unique.ndjson', lines(failedLogin(0), failedLogin(1), failedLogin(2)));
    const repeated = put('fail-dup.ndjson', lines(...[0, 1, 2].flatMap((n) => Array.from({ length: 4 }, () => failedLogin(n)))));
    const once = await scanFiles([unique]);
    expect(once.detected).toEqual(['act-fail-0', 'act-fail-1', 'act-fail-2']);
    expect(once.summary).toMatchObject({ events: 3, duplicates: 0 });
    const dup = await scanFiles([repeated]);
    expect(dup.detected).toEqual(once.detected);
    expect(dup.summary).toMatchObject({ lines: 12, events: 12, duplicates: 9, rejects: 0 });
    const thrice = await scanFiles([unique, unique, unique]);
    expect(thrice.detected).toEqual(once.detected);
    expect(thrice.summary).toMatchObject({ events: 9, duplicates: 6 });
    // The same id at another time is not a redelivery (a redelivered event keeps its time): detected again.
    const moved = await scanFiles([put('moved.ndjson', lines(failedLogin(0), failedLogin(0, { time: '2026-03-01T10:00:00Z' })))]);
    expect(moved.detected).toEqual(['act-fail-0', 'act-fail-0']);
    expect(moved.summary.duplicates).toBe(0);
  });

  it('rejects a line nested too deep, or one a format fails on unexpectedly, and goes on with the rest of the file', async () => {
    const deep = `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const file = put('hostile.ndjson', lines(failedLogin(0), deep, failedLogin(1), '{"boom":1}', failedLogin(2)));
    const boom: InputFormat = {
      id: 'boom',
      description: 'fails the way a recursive walk of a hostile record does',
      detect: (r) => {
        if ('boom' in r) throw new RangeError('Maximum call stack size exceeded');
        return false;
      },
      parse: () => [],
    };
    const { detected, rejects, summary } = await scanFiles([file], {}, [boom, ...INPUT_FORMATS]);
    expect(detected).toEqual(['act-fail-0', 'act-fail-1', 'act-fail-2']);
    expect(rejects.map((r) => [r.file, r.line, r.code])).toEqual([
      [file, 2, 'RAMPART_ERR_INPUT_TOO_DEEP'],
      [file, 4, 'RAMPART_ERR_INPUT_INVALID_RECORD'],
    ]);
    expect(rejects[0].reason).toBe('line nests JSON deeper than 64 levels');
    expect(rejects[1].reason).toContain('Maximum call stack size exceeded');
    expect(summary).toMatchObject({ lines: 5, events: 3, rejects: 2 });
  });

  it("reports a read error part-way through a file at that file's own line, counted, then reads the next file", async () => {
    const first = put('before-cut.ndjson', lines(failedLogin(0), failedLogin(1), failedLogin(2)));
    const gz = gzipSync(lines(...Array.from({ length: 3000 }, (_, i) => failedLogin(100 + i, { time: new Date(Date.UTC(2026, 2, 2, 0, 0, i)).toISOString() }))));
    const cut = put('cut.ndjson.gz', gz.subarray(0, gz.length >> 1));
    const after = put('after-cut.ndjson', lines(failedLogin(3)));
    const { rejects, summary } = await scanFiles([first, cut, after]);
    const fromCut = summary.events - 4;
    expect(fromCut).toBeGreaterThan(0);
    expect(rejects.map((r) => [r.file, r.line, r.code])).toEqual([[cut, fromCut + 1, 'RAMPART_ERR_INPUT_UNREADABLE']]);
    expect(rejects[0].reason).toMatch(/^cannot read input .*cut\.ndjson\.gz: unexpected end of file/);
    expect(summary.lines).toBe(summary.events + summary.rejects);
  });

  it('checks every input up front: a folder or a file it may not read stops the scan before a line is read', async () => {
    const bad = put('first-bad.ndjson', lines('{"truncated":'));
    const noRead = put('no-read.ndjson', lines(failedLogin(0)));
    chmodSync(noRead, 0o000);
    const cases: [string, string][] = [[dir, 'it is a directory']];
    if (process.getuid?.() !== 0) cases.push([noRead, 'EACCES']); // root reads whatever the mode says
    for (const [input, why] of cases) {
      const rejects: ScanReject[] = [];
      await expect(
        runScan({ files: [bad, input], maxLineBytes: 1024, sortMemoryEvents: 1000, rejectsPath: null, onReject: (r) => rejects.push(r) }, { enricher, formats: INPUT_FORMATS, engine: { process: () => [] } }),
      ).rejects.toMatchObject({ code: 'RAMPART_ERR_INPUT_UNREADABLE', message: expect.stringContaining(why) });
      expect(rejects).toEqual([]);
    }
  });

  it('refuses a rejects file it could not write, or one of its inputs, before reading anything', async () => {
    const input = put('with-a-reject.ndjson', lines(failedLogin(0), '{"truncated":'));
    const before = readFileSync(input, 'utf8');
    const cases: [string, string][] = [
      [join(dir, 'no-such-folder', 'rejects.ndjson'), 'ENOENT'],
      [dir, 'it is a directory'],
      [input, `it is the input file ${input}`],
    ];
    for (const [rejectsPath, why] of cases) {
      const rejects: ScanReject[] = [];
      await expect(scanFiles([input], { rejectsPath, onReject: (r) => rejects.push(r) })).rejects.toMatchObject({
        code: 'RAMPART_ERR_INPUT_REJECTS_UNWRITABLE',
        message: expect.stringContaining(why),
      });
      expect(rejects).toEqual([]);
    }
    expect(readFileSync(input, 'utf8')).toBe(before);
  });
});
