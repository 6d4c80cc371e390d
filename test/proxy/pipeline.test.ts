/**
 * The proxy wired to Rampart itself: config key `proxy` (paths relative to the config file, organisation domains
 * from `organization.domains`), activities stored through the real pipeline into SQLite, the block alert stored;
 * and `rampart proxy` as a process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkplaceSimulator, type WorkplaceSimulator } from '../../src/connectors/workplace/simulator/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Metrics } from '../../src/core/metrics.ts';
import { Pipeline } from '../../src/core/pipeline.ts';
import { buildEngine, buildEnricher } from '../../src/main.ts';
import { startProxyForConfig } from '../../src/proxy/index.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from './helpers.ts';

let sim: WorkplaceSimulator;

beforeAll(async () => {
  sim = await startWorkplaceSimulator({ users: 10, seed: 5 });
});
afterAll(async () => {
  await sim?.close();
});

function writeConfig(dir: string): string {
  mkdirSync(join(dir, 'session-policies'), { recursive: true });
  writeFileSync(
    join(dir, 'session-policies', 'external.yaml'),
    'name: block-external-downloads\nactivities: [download]\nfilters:\n  - { field: user.external, op: eq, value: true }\naction: block\nalert: { create: true, severity: high }\n',
  );
  const file = join(dir, 'rampart.yaml');
  writeFileSync(
    file,
    [
      'store: { driver: sqlite, path: ./rampart.db }',
      'log: { level: silent }',
      `organization: { domains: [${sim.org.domain}] }`,
      'proxy:',
      '  port: 0',
      `  apps: [{ name: acme, upstream: "${sim.url}" }]`,
      '  policiesDirectory: ./session-policies',
      '',
    ].join('\n'),
  );
  return file;
}

const guestDownload = async (base: string) => {
  const guest = sim.web.guests[0].email;
  const res = await request(`${base}/web/files/f-notes/download`, { headers: { cookie: `wp_session=${sim.web.signIn(guest)}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' } });
  return { guest, text: await res.body.text() };
};

describe('proxy inside Rampart', () => {
  it('stores activities and the block alert through the real pipeline', async () => {
    const dir = tempDir();
    const loaded = loadConfig(writeConfig(dir));
    const store = await openStore(loaded.config.store);
    const metrics = new Metrics();
    const logger = silentLogger();
    const pipeline = new Pipeline({ store, enricher: await buildEnricher(loaded.config, store), engine: buildEngine(loaded.config).engine, logger, metrics });
    const proxy = await startProxyForConfig(loaded, { sink: pipeline, logger, metrics });
    expect(proxy).not.toBeNull();
    try {
      const { guest, text } = await guestDownload(proxy!.url);
      expect(text).toContain('Download restricted');
      let stored = await store.queryActivities({ user: guest });
      for (let i = 0; i < 100 && !stored.items.length; i++) {
        await new Promise((r) => setTimeout(r, 20));
        stored = await store.queryActivities({ user: guest });
      }
      const a = stored.items.find((x) => x.action === 'FILE_DOWNLOAD')!;
      expect(a).toBeDefined();
      expect(a.source).toBe('proxy');
      expect(a.outcome).toBe('failure');
      expect(a.ip).toBe('127.0.0.1');
      expect(a.device?.browser).toMatch(/Firefox/);
      expect(a.ipCategory).toBe('private'); // enriched by the real enricher
      await pipeline.drain();
      let alerts = await store.listAlerts({});
      for (let i = 0; i < 100 && !alerts.items.length; i++) {
        await new Promise((r) => setTimeout(r, 20));
        alerts = await store.listAlerts({});
      }
      const alert = alerts.items.find((x) => x.detection === 'session_policy:block-external-downloads');
      expect(alert?.activityIds).toEqual([a.id]);
      expect(alert?.user).toBe(guest);
    } finally {
      await proxy!.close();
      await pipeline.drain();
      await store.close();
    }
  });

  it('`rampart proxy` runs as a process, records to the store and stops on SIGTERM', async () => {
    const dir = tempDir();
    const file = writeConfig(dir);
    const child = spawn(process.execPath, ['bin/rampart.js', 'proxy', '--config', file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const { guest, text } = await guestDownload(url);
    expect(text).toContain('Download restricted');
    await new Promise((r) => setTimeout(r, 200));
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    const store = await openStore({ driver: 'sqlite', path: join(dir, 'rampart.db') });
    try {
      const stored = await store.queryActivities({ user: guest });
      expect(stored.items.map((x) => x.action)).toContain('FILE_DOWNLOAD');
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('proxy inside `rampart serve` (startService)', () => {
  it('starts with the service when the config has a proxy key and records into its store', async () => {
    const { startService } = await import('../../src/main.ts');
    const dir = tempDir();
    const file = writeConfig(dir);
    // The demo tenant would start its own simulator; the proxy test needs none of it.
    writeFileSync(file, `${readFileSync(file, 'utf8')}demo: { enabled: false }\nserver: { port: 0 }\n`);
    const service = await startService(loadConfig(file), { port: 0, logger: silentLogger() });
    try {
      expect(service.proxy).not.toBeNull();
      const { guest, text } = await guestDownload(service.proxy!.url);
      expect(text).toContain('Download restricted');
      let stored = await service.store.queryActivities({ user: guest });
      for (let i = 0; i < 100 && !stored.items.length; i++) {
        await new Promise((r) => setTimeout(r, 20));
        stored = await service.store.queryActivities({ user: guest });
      }
      expect(stored.items.map((x) => `${x.source}:${x.action}:${x.outcome}`)).toContain('proxy:FILE_DOWNLOAD:failure');
    } finally {
      await service.close();
    }
  });
});
