/**
 * Feeds: formats, malformed lines, loading from a path, and refreshing URL feeds from a real HTTP server on
 * loopback (including a failing server: the last good copy stays in use), through the enricher and the CLI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli/index.ts';
import { FeedConfigSchema, type FeedConfig } from '../config/schema.ts';
import { createLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import { AsnDb } from './asn.ts';
import { feedCachePath, loadFeed, updateFeeds } from './feeds.ts';
import { GeoDb } from './geo.ts';
import { RampartEnricher } from './index.ts';
import { IpRangeIndex } from './ip-ranges.ts';
import { parseIpList } from './list-format.ts';

const feed = (f: Record<string, unknown>): FeedConfig => FeedConfigSchema.parse(f) as FeedConfig;

describe('list formats', () => {
  it('plain lists with # and ; comments, inline comments and blank lines', () => {
    const p = parseIpList('# header\n\n1.2.3.4\n5.6.7.0/24 # inline\n; semicolon comment\n2001:db8::/32\r\n  9.9.9.9  \n');
    expect(p.cidrs.map((c) => c.text)).toEqual(['1.2.3.4/32', '5.6.7.0/24', '2001:db8::/32', '9.9.9.9/32']);
    expect(p.malformed).toEqual([]);
  });

  it('the Tor bulk exit list and the exit-addresses format', () => {
    expect(parseIpList('185.220.101.1\n185.220.101.2\n').cidrs).toHaveLength(2);
    const exitAddresses = [
      'ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E',
      'Published 2026-11-26 18:49:05',
      'LastStatus 2026-11-26 20:00:00',
      'ExitAddress 162.247.74.201 2026-11-26 20:10:42',
    ].join('\n');
    const p = parseIpList(exitAddresses);
    expect(p.cidrs.map((c) => c.text)).toEqual(['162.247.74.201/32']);
    expect(p.malformed).toEqual([]);
  });

  it('FireHOL netsets, Spamhaus DROP and ipsum-style extra columns', () => {
    const netset = '#\n# firehol_level1\n#\n# Maintainer      : FireHOL\n0.0.0.0/8\n1.10.16.0/20\n';
    expect(parseIpList(netset).cidrs.map((c) => c.text)).toEqual(['0.0.0.0/8', '1.10.16.0/20']);
    expect(parseIpList('1.10.16.0/20 ; SBL256894\n').cidrs[0].text).toBe('1.10.16.0/20');
    expect(parseIpList('45.148.10.1\t7\n').cidrs[0].text).toBe('45.148.10.1/32');
  });

  it('malformed lines are skipped and reported with their line numbers', () => {
    const p = parseIpList('1.2.3.4\n<html>\n300.1.1.1\n5.6.7.8\n1.2.3.0/40\nAS60729\n');
    expect(p.cidrs.map((c) => c.text)).toEqual(['1.2.3.4/32', '5.6.7.8/32']);
    expect(p.malformed.map((m) => m.line)).toEqual([2, 3, 5, 6]); // AS lines only in built-in lists
    expect(parseIpList('AS60729\n', { allowAsn: true }).asns).toEqual([60729]);
  });
});

describe('feeds', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let body = '';
  let status = 200;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/tor' });
        res.end();
        return;
      }
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('1.2.3.4\n'.repeat(10_000));
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections(); // undici keeps connections alive
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-feeds-'));
    status = 200;
    return () => rmSync(dir, { recursive: true, force: true });
  });

  const logs = () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    return { lines, logger: createLogger({ level: 'debug', destination }) };
  };

  const emptyEnricher = (feeds: FeedConfig[], metrics?: Metrics, logger?: ReturnType<typeof createLogger>) =>
    new RampartEnricher({ geo: GeoDb.empty(), asn: AsnDb.empty(), builtin: [], feeds, ranges: IpRangeIndex.empty(), cacheEntries: 1000 }, { dataDir: dir, metrics, logger });

  it('a path feed classifies addresses, counts malformed lines with RAMPART_ERR_ENRICH_FEED_FORMAT and never aborts', () => {
    const path = join(dir, 'tor.txt');
    writeFileSync(path, '# tor\n185.220.101.1\nnot an ip\n2001:db8:aaaa::1\n');
    const threat = join(dir, 'bad.netset');
    writeFileSync(threat, '203.0.113.0/24\n');
    const metrics = new Metrics();
    const { lines, logger } = logs();
    const e = emptyEnricher([feed({ kind: 'tor_exit', path }), feed({ kind: 'threat_intel', path: threat, name: 'blocklist' })], metrics, logger);
    expect(e.lookupIp('185.220.101.1')).toMatchObject({ ipCategory: 'tor', ipTags: ['Tor exit node'], matched: ['feed:tor'] });
    expect(e.lookupIp('2001:db8:aaaa::1').ipCategory).toBe('private'); // documentation range stays private
    expect(e.lookupIp('198.51.100.9').ipCategory).toBe('private');
    expect(e.lookupIp('203.0.113.5').ipCategory).toBe('private');
    expect(e.feedStatuses.map((s) => [s.name, s.ok, s.entries, s.malformedLines])).toEqual([
      ['tor', true, 2, 1],
      ['blocklist', true, 1, 0],
    ]);
    expect(metrics.get('rampart_errors_total', { component: 'enrich', stage: 'enrich', error_type: 'feed_format' })).toBe(1);
    expect(metrics.get('rampart_enrich_feed_malformed_lines_total', { kind: 'tor_exit' })).toBe(1);
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged.find((l) => l.code === 'RAMPART_ERR_ENRICH_FEED_FORMAT')).toMatchObject({ feed: 'tor', line: 3 });
  });

  it('threat_intel, anonymizer and cloud_provider feeds set their categories and tags', () => {
    const w = (n: string, t: string) => {
      writeFileSync(join(dir, n), t);
      return join(dir, n);
    };
    const e = emptyEnricher([
      feed({ kind: 'threat_intel', path: w('t.txt', '45.148.10.0/24\n') }),
      feed({ kind: 'anonymizer', path: w('a.txt', '146.70.1.1\n') }),
      feed({ kind: 'cloud_provider', path: w('c.txt', '3.5.0.0/16\n2600:1f00::/24\n') }),
    ]);
    expect(e.lookupIp('45.148.10.99')).toMatchObject({ ipCategory: 'risky', ipTags: ['Suspicious'] });
    expect(e.lookupIp('146.70.1.1')).toMatchObject({ ipCategory: 'anonymizer', ipTags: ['Anonymous proxy'] });
    expect(e.lookupIp('3.5.1.2')).toMatchObject({ ipCategory: 'hosting', ipTags: ['cloud_provider'] });
    expect(e.lookupIp('2600:1f00::5')).toMatchObject({ ipCategory: 'hosting' });
    expect(e.lookupIp('8.8.8.8')).toMatchObject({ ipCategory: null, ipTags: [] });
  });

  it('a missing feed file is RAMPART_ERR_ENRICH_FEED_FAILED, logged and skipped', () => {
    const metrics = new Metrics();
    const { status, source } = loadFeed(feed({ kind: 'tor_exit', path: join(dir, 'missing.txt') }), { dataDir: dir, metrics });
    expect(source).toBeNull();
    expect(status.ok).toBe(false);
    expect(status.error?.code).toBe('RAMPART_ERR_ENRICH_FEED_FAILED');
    expect(metrics.get('rampart_errors_total', { component: 'enrich', stage: 'enrich', error_type: 'feed_failed' })).toBe(1);
  });

  it('a feed file above maxBytes is refused', () => {
    const path = join(dir, 'huge.txt');
    writeFileSync(path, '1.2.3.4\n'.repeat(100));
    expect(loadFeed(feed({ kind: 'tor_exit', path, maxBytes: 100 }), { dataDir: dir }).status.error?.message).toMatch(/maxBytes/);
  });

  it('a URL feed is refreshed from a local HTTP server into its cache; a failing server keeps the last good copy', async () => {
    const f = feed({ kind: 'tor_exit', url: `${base}/torbulkexitlist?key=SECRET`, name: 'tor-bulk' });
    const metrics = new Metrics();
    const e = emptyEnricher([f], metrics);
    // before any download: not cached yet, startup still works
    expect(e.feedStatuses[0]).toMatchObject({ ok: false, error: { code: 'RAMPART_ERR_ENRICH_FEED_FAILED' } });
    expect(e.lookupIp('185.220.101.7').ipCategory).toBeNull();

    body = '185.220.101.7\n185.220.101.8\n';
    const first = await e.updateFeeds();
    expect(first).toMatchObject([{ name: 'tor-bulk', ok: true, entries: 2 }]);
    expect(readFileSync(feedCachePath(f, dir), 'utf8')).toBe(body);
    expect(e.lookupIp('185.220.101.7').ipCategory).toBe('tor');

    // the server fails: the error is reported, the cached copy and the classification stay
    status = 503;
    body = 'Service Unavailable';
    const failed = await e.updateFeeds();
    expect(failed[0].ok).toBe(false);
    expect(failed[0].error?.code).toBe('RAMPART_ERR_ENRICH_FEED_FAILED');
    expect(failed[0].error?.message).toContain('503');
    expect(failed[0].error?.message).not.toContain('SECRET'); // query strings may hold API keys
    expect(failed[0].updatedAt).not.toBeNull();
    expect(readFileSync(feedCachePath(f, dir), 'utf8')).toBe('185.220.101.7\n185.220.101.8\n');
    expect(e.lookupIp('185.220.101.7').ipCategory).toBe('tor');
    expect(metrics.get('rampart_enrich_feed_updates_total', { kind: 'tor_exit', result: 'failed' })).toBe(1);

    // a 200 answer with no address in it (an HTML error page) is a failure too
    status = 200;
    body = '<html><body>maintenance</body></html>\n';
    expect((await e.updateFeeds())[0].ok).toBe(false);
    expect(e.lookupIp('185.220.101.7').ipCategory).toBe('tor');
    // ... also when the page happens to hold an address on a line of its own: more junk than addresses
    body = '<html>\n<head><title>Error</title></head>\n<body>\n<p>Your address:</p>\n10.0.0.1\n</body>\n</html>\n';
    const html = await e.updateFeeds();
    expect(html[0].ok).toBe(false);
    expect(html[0].error?.message).toContain('does not look like an IP list');
    expect(readFileSync(feedCachePath(f, dir), 'utf8')).toBe('185.220.101.7\n185.220.101.8\n');

    // a new list replaces the old one; a restarted enricher reads the cache offline
    body = '185.220.101.9\n';
    expect((await e.updateFeeds())[0].ok).toBe(true);
    expect(e.lookupIp('185.220.101.7').ipCategory).toBeNull();
    expect(e.lookupIp('185.220.101.9').ipCategory).toBe('tor');
    const restarted = emptyEnricher([f]);
    expect(restarted.lookupIp('185.220.101.9').ipCategory).toBe('tor');
  });

  it('startFeedRefresh downloads due URL feeds in the background and reloads them', async () => {
    body = '162.247.74.201\n';
    status = 200;
    const e = emptyEnricher([feed({ kind: 'tor_exit', url: `${base}/timer`, name: 'timer' })]);
    expect(e.lookupIp('162.247.74.201').ipCategory).toBeNull();
    const stop = e.startFeedRefresh(60_000);
    try {
      for (let i = 0; i < 200 && e.lookupIp('162.247.74.201').ipCategory === null; i++) await new Promise((r) => setTimeout(r, 25));
      expect(e.lookupIp('162.247.74.201').ipCategory).toBe('tor');
      expect(e.feedStatuses[0]).toMatchObject({ name: 'timer', ok: true, entries: 1 });
    } finally {
      stop();
    }
  });

  it('reloadFeeds picks up a changed path feed', () => {
    const path = join(dir, 'anon.txt');
    writeFileSync(path, '146.70.1.1\n');
    const e = emptyEnricher([feed({ kind: 'anonymizer', path })]);
    expect(e.lookupIp('146.70.1.1').ipCategory).toBe('anonymizer');
    writeFileSync(path, '146.70.1.2\n');
    expect(e.lookupIp('146.70.1.1').ipCategory).toBe('anonymizer'); // cached until reloaded
    e.reloadFeeds();
    expect(e.lookupIp('146.70.1.1').ipCategory).toBeNull();
    expect(e.lookupIp('146.70.1.2').ipCategory).toBe('anonymizer');
  });

  it('onlyDue skips feeds refreshed within refreshSecs; maxBytes caps downloads; unreachable servers fail cleanly', async () => {
    body = '1.2.3.4\n';
    const f = feed({ kind: 'anonymizer', url: `${base}/due`, refreshSecs: 3600 });
    await updateFeeds([f], { dataDir: dir });
    const before = hits;
    expect(await updateFeeds([f], { dataDir: dir }, { onlyDue: true })).toEqual([]);
    expect(hits).toBe(before);

    // after a failure, onlyDue waits before retrying instead of hitting the server on every check
    const failures = new Map<string, number>();
    status = 500;
    const flaky = feed({ kind: 'anonymizer', url: `${base}/flaky`, name: 'flaky', refreshSecs: 3600 });
    expect((await updateFeeds([flaky], { dataDir: dir }, { onlyDue: true, failures }))[0].ok).toBe(false);
    const afterFail = hits;
    expect(await updateFeeds([flaky], { dataDir: dir }, { onlyDue: true, failures })).toEqual([]);
    expect(hits).toBe(afterFail);
    status = 200;
    failures.set('flaky', Date.now() - 3_600_001); // the retry window has passed
    expect((await updateFeeds([flaky], { dataDir: dir }, { onlyDue: true, failures }))[0].ok).toBe(true);
    expect(failures.has('flaky')).toBe(false);

    const big = await updateFeeds([feed({ kind: 'anonymizer', url: `${base}/big`, maxBytes: 1000 })], { dataDir: dir });
    expect(big[0].error?.message).toMatch(/maxBytes/);

    body = '185.220.101.60\n';
    const moved = await updateFeeds([feed({ kind: 'tor_exit', url: `${base}/moved`, name: 'moved' })], { dataDir: dir });
    expect(moved[0]).toMatchObject({ ok: true, entries: 1 }); // redirects are followed

    const down = await updateFeeds([feed({ kind: 'anonymizer', url: 'http://127.0.0.1:1/list.txt' })], { dataDir: dir }, { timeoutMs: 2000 });
    expect(down[0]).toMatchObject({ ok: false, error: { code: 'RAMPART_ERR_ENRICH_FEED_FAILED' } });
  });

  it('`rampart feeds update --config` refreshes URL feeds and exits 1 when one fails', async () => {
    body = '# exits\n185.220.101.50\n';
    status = 200;
    const cfg = join(dir, 'rampart.yaml');
    writeFileSync(
      cfg,
      [
        'feeds:',
        `  - { kind: tor_exit, name: tor, url: "${base}/tor" }`,
        `  - { kind: threat_intel, name: broken, url: "http://127.0.0.1:1/x", timeoutSecs: 2 }`,
      ].join('\n'),
    );
    const run = async (): Promise<{ code: number; out: string; err: string }> => {
      const out: string[] = [];
      const err: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      const writeErr = process.stderr.write.bind(process.stderr);
      process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
      process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
      try {
        process.exitCode = undefined;
        const code = await main(['feeds', 'update', '--config', cfg]);
        return { code, out: out.join(''), err: err.join('') };
      } finally {
        process.stdout.write = write;
        process.stderr.write = writeErr;
        process.exitCode = undefined;
      }
    };
    const first = await run();
    const code = first.code;
    const err = [first.err];
    expect(code).toBe(1);
    const text = first.out;
    expect(text).toMatch(/^ok {4}tor \(tor_exit\): 1 entries/m);
    expect(text).toMatch(/^FAIL {2}broken \(threat_intel\): RAMPART_ERR_ENRICH_FEED_FAILED/m);
    const cached = join(dir, 'data', 'feeds', 'tor.txt');
    expect(existsSync(cached)).toBe(true);
    expect(readFileSync(cached, 'utf8')).toBe(body);
    expect(err.join('')).toContain('RAMPART_ERR_ENRICH_FEED_FAILED'); // the failure is also logged

    // the tor server now fails: the command says so and the last good copy stays
    status = 500;
    const second = await run();
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/^FAIL {2}tor \(tor_exit\): RAMPART_ERR_ENRICH_FEED_FAILED: .*HTTP 500.*keeping the copy from /m);
    expect(readFileSync(cached, 'utf8')).toBe('# exits\n185.220.101.50\n');
  });
});
