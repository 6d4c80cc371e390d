/**
 * @module enrich/feeds
 * Configured IP feeds (`feeds:` in the config): `tor_exit`, `anonymizer`, `threat_intel`, `cloud_provider`
 * lists in the plain formats of list-format.ts, from a file path or a URL. URL feeds are downloaded by
 * `rampart feeds update` (or the service's refresh timer) into a cache file, and loading always reads files,
 * so startup works offline. A failed download keeps the last good copy. Malformed lines are skipped and
 * counted (RAMPART_ERR_ENRICH_FEED_FORMAT), never fatal.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { RampartError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { FeedConfig } from '../config/schema.ts';
import { buildSource, type IntelKind, type IntelSource } from './intel.ts';
import { parseIpList } from './list-format.ts';

/** Which intel kind (and so which category and tag) each configured feed kind feeds. */
export const FEED_KIND_TO_INTEL: Record<FeedConfig['kind'], IntelKind> = {
  tor_exit: 'tor',
  anonymizer: 'anonymizer',
  threat_intel: 'threat',
  cloud_provider: 'hosting',
};

/** Malformed lines logged one by one per feed load; the rest are only counted. */
const MAX_LOGGED_MALFORMED = 10;

export interface FeedContext {
  /** Folder for URL feed caches (`<dataDir>/feeds/<name>.txt` unless the feed sets cachePath). */
  dataDir: string;
  logger?: Logger;
  metrics?: Metrics;
}

export interface FeedStatus {
  name: string;
  kind: FeedConfig['kind'];
  /** The file that was read: the path, or the cache of a URL feed. */
  file: string;
  ok: boolean;
  entries: number;
  malformedLines: number;
  bytes: number;
  /** RampartError code and message when !ok. */
  error?: { code: string; message: string };
  /** When the file was last written (URL feeds: last successful download). */
  updatedAt: string | null;
}

/** The data folder that URL feed caches live under for a config loaded from `baseDir`: `<baseDir>/data`. */
export const feedDataDir = (baseDir: string): string => join(baseDir, 'data');

export const feedName = (f: FeedConfig): string =>
  f.name ?? (f.path ? basename(f.path).replace(/\.[^.]*$/, '') : `${f.kind}-${createHash('sha256').update(f.url!).digest('hex').slice(0, 8)}`);

export const feedCachePath = (f: FeedConfig, dataDir: string): string =>
  f.cachePath ?? join(resolve(dataDir), 'feeds', `${feedName(f).replace(/[^A-Za-z0-9._-]/g, '_')}.txt`);

/** The file a feed is read from at load time. */
export const feedFile = (f: FeedConfig, dataDir: string): string => f.path ?? feedCachePath(f, dataDir);

/** A URL without its query string and credentials, safe for logs (feed URLs may carry API keys). */
export const redactUrl = (u: string): string => {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '<invalid url>';
  }
};

function reportFailure(ctx: FeedContext, err: RampartError, name: string): void {
  ctx.metrics?.inc('rampart_errors_total', { component: 'enrich', stage: 'enrich', error_type: 'feed_failed' });
  ctx.logger?.warn({ code: err.code, feed: name }, err.message);
}

function reportMalformed(ctx: FeedContext, f: FeedConfig, name: string, malformed: { line: number; text: string }[]): void {
  if (malformed.length === 0) return;
  ctx.metrics?.inc('rampart_errors_total', { component: 'enrich', stage: 'enrich', error_type: 'feed_format' }, malformed.length);
  ctx.metrics?.inc('rampart_enrich_feed_malformed_lines_total', { kind: f.kind }, malformed.length);
  for (const m of malformed.slice(0, MAX_LOGGED_MALFORMED)) {
    const e = new RampartError('RAMPART_ERR_ENRICH_FEED_FORMAT', [name, m.line, JSON.stringify(m.text)]);
    ctx.logger?.warn({ code: e.code, feed: name, line: m.line }, e.message);
  }
  if (malformed.length > MAX_LOGGED_MALFORMED) {
    ctx.logger?.warn(
      { code: 'RAMPART_ERR_ENRICH_FEED_FORMAT', feed: name, skipped: malformed.length },
      `feed ${name}: ${malformed.length} malformed lines skipped in total`,
    );
  }
}

/** Reads one feed from its file. Never throws: a failure is a status with ok=false, a log line and a metric. */
export function loadFeed(f: FeedConfig, ctx: FeedContext): { source: IntelSource | null; status: FeedStatus } {
  const name = feedName(f);
  const file = feedFile(f, ctx.dataDir);
  const status: FeedStatus = { name, kind: f.kind, file, ok: false, entries: 0, malformedLines: 0, bytes: 0, updatedAt: null };
  try {
    let st;
    try {
      st = statSync(file);
    } catch (cause) {
      const why = f.url ? 'not downloaded yet: run `rampart feeds update`' : (cause as Error).message;
      throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, why], { cause });
    }
    if (st.size > f.maxBytes) throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `file is ${st.size} bytes, above maxBytes ${f.maxBytes}`]);
    const text = readFileSync(file, 'utf8');
    const source = buildSource(FEED_KIND_TO_INTEL[f.kind], `feed:${name}`, text, false);
    reportMalformed(ctx, f, name, source.malformed);
    Object.assign(status, { ok: true, entries: source.entries, malformedLines: source.malformed.length, bytes: st.size, updatedAt: st.mtime.toISOString() });
    return { source, status };
  } catch (err) {
    const e = err instanceof RampartError ? err : new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, (err as Error).message], { cause: err });
    reportFailure(ctx, e, name);
    status.error = { code: e.code, message: e.message };
    return { source: null, status };
  }
}

export function loadFeeds(feeds: readonly FeedConfig[], ctx: FeedContext): { sources: IntelSource[]; statuses: FeedStatus[] } {
  const sources: IntelSource[] = [];
  const statuses: FeedStatus[] = [];
  for (const f of feeds) {
    const { source, status } = loadFeed(f, ctx);
    if (source) sources.push(source);
    statuses.push(status);
  }
  return { sources, statuses };
}

export interface UpdateOptions {
  /** Only fetch feeds whose cache is older than their refreshSecs (the service timer); default: all. */
  onlyDue?: boolean;
  /** Override of each feed's timeoutSecs (tests). */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /**
   * Time (ms) of each feed's last failed download, kept by the caller across calls: with onlyDue, a feed
   * that failed is retried after min(refreshSecs, 15 min) rather than on every check.
   */
  failures?: Map<string, number>;
}

const RETRY_AFTER_FAILURE_MS = 15 * 60 * 1000;

let defaultDispatcher: Dispatcher | null = null;
const dispatcherFor = (): Dispatcher =>
  (defaultDispatcher ??= new Agent({ connect: { timeout: 10_000 } }).compose(interceptors.redirect({ maxRedirections: 3 })));

/** Downloads the body with a size cap; throws RampartError(FEED_FAILED). */
async function download(f: FeedConfig, name: string, opts: UpdateOptions): Promise<Buffer> {
  const timeout = opts.timeoutMs ?? f.timeoutSecs * 1000;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(f.url!, {
      method: 'GET',
      headers: { 'user-agent': 'rampart-feeds/0.1', accept: 'text/plain, */*' },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout),
      dispatcher: opts.dispatcher ?? dispatcherFor(),
    });
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `${redactUrl(f.url!)}: ${(cause as Error).message}`], { cause });
  }
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `${redactUrl(f.url!)} answered HTTP ${res.statusCode}`]);
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > f.maxBytes) {
    res.body.destroy();
    throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `response is ${declared} bytes, above maxBytes ${f.maxBytes}`]);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > f.maxBytes) {
        res.body.destroy();
        throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `response is larger than maxBytes ${f.maxBytes}`]);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof RampartError) throw err;
    throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `${redactUrl(f.url!)}: ${(err as Error).message}`], { cause: err });
  }
  return Buffer.concat(chunks);
}

/**
 * Refreshes URL feeds into their cache files (path feeds are left alone). A download that fails, or whose
 * body holds no address at all (an HTML error page, say), leaves the last good copy in place.
 */
export async function updateFeeds(feeds: readonly FeedConfig[], ctx: FeedContext, opts: UpdateOptions = {}): Promise<FeedStatus[]> {
  const out: FeedStatus[] = [];
  for (const f of feeds) {
    if (!f.url) continue;
    const name = feedName(f);
    const file = feedCachePath(f, ctx.dataDir);
    if (opts.onlyDue) {
      const failedAt = opts.failures?.get(name);
      if (failedAt !== undefined && Date.now() - failedAt < Math.min(f.refreshSecs * 1000, RETRY_AFTER_FAILURE_MS)) continue;
      try {
        if (Date.now() - statSync(file).mtimeMs < f.refreshSecs * 1000) continue;
      } catch {
        // no cache yet: due
      }
    }
    const status: FeedStatus = { name, kind: f.kind, file, ok: false, entries: 0, malformedLines: 0, bytes: 0, updatedAt: null };
    try {
      const body = await download(f, name, opts);
      const text = body.toString('utf8');
      const parsed = parseIpList(text);
      if (parsed.cidrs.length === 0) {
        throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `the response holds no IP address or CIDR (${parsed.malformed.length} malformed lines)`]);
      }
      // More junk than addresses is not a list (an HTML error page answered 200 that happens to hold an address):
      // keep the last good copy rather than replace thousands of entries with one.
      if (parsed.malformed.length > parsed.cidrs.length) {
        throw new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, `the response does not look like an IP list (${parsed.malformed.length} malformed lines, ${parsed.cidrs.length} addresses)`]);
      }
      reportMalformed(ctx, f, name, parsed.malformed);
      // 0700 like the store's folder: feeds usually live in the same data folder, which may be created here first.
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, body);
      renameSync(tmp, file); // atomic: readers see the old or the new copy, never half a file
      Object.assign(status, { ok: true, entries: parsed.cidrs.length, malformedLines: parsed.malformed.length, bytes: body.length, updatedAt: new Date().toISOString() });
      opts.failures?.delete(name);
      ctx.metrics?.inc('rampart_enrich_feed_updates_total', { kind: f.kind, result: 'ok' });
      ctx.logger?.info({ feed: name, entries: status.entries, bytes: status.bytes }, `feed ${name} updated`);
    } catch (err) {
      const e = err instanceof RampartError ? err : new RampartError('RAMPART_ERR_ENRICH_FEED_FAILED', [name, (err as Error).message], { cause: err });
      reportFailure(ctx, e, name);
      opts.failures?.set(name, Date.now());
      ctx.metrics?.inc('rampart_enrich_feed_updates_total', { kind: f.kind, result: 'failed' });
      status.error = { code: e.code, message: e.message };
      try {
        status.updatedAt = statSync(file).mtime.toISOString(); // the last good copy still in use
      } catch {
        status.updatedAt = null;
      }
    }
    out.push(status);
  }
  return out;
}
