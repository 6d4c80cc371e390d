// A policy created through the API is stored, and joins live detection at the next start of the service.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/core/logger.ts';
import { startService } from '../../src/main.ts';
import { activity } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-api-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('API-managed policies', () => {
  it('are registered in the detection engine at the next start and raise policy alerts', async () => {
    const config = parseConfig(
      `store: { driver: sqlite, path: ${JSON.stringify(join(dir, 'r.db'))} }\ndemo: { enabled: false }\nlog: { level: silent }\npolicies: { directory: ${JSON.stringify(join(dir, 'policies'))} }\ndetections: { learningDays: 0 }`,
    );
    const printed: string[] = [];
    const opts = { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }), api: { printOnce: (t: string) => printed.push(t), scryptCost: 2 ** 12 } };
    const s1 = await startService({ config, baseDir: dir, file: null }, opts);
    const first = await s1.api.accounts.login('admin@localhost', /password: (\S+)/.exec(printed[0])![1], '127.0.0.1');
    await s1.api.accounts.setPassword('admin@localhost', 'restart test passphrase');
    const token = (await s1.api.accounts.createToken({ name: 't', role: 'admin', createdBy: { kind: 'session', id: first.account.email, name: first.account.email, role: 'admin' } })).token;
    const created = await fetch(`${s1.url}/api/policies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'export-watch', severity: 'high', filters: [{ field: 'action', op: 'eq', value: 'data.export' }] }),
    });
    expect(created.status).toBe(201);
    expect(s1.engine.detections.some((d) => d.id === 'policy:export-watch')).toBe(false);
    await s1.close();

    const s2 = await startService({ config, baseDir: dir, file: null }, opts);
    try {
      expect(s2.engine.detections.some((d) => d.id === 'policy:export-watch')).toBe(true);
      await s2.pipeline.ingest([activity({ user: 'exporter@acme.example', action: 'data.export', category: 'content' })]);
      await s2.pipeline.drain();
      const alerts = await fetch(`${s2.url}/api/alerts?detection=policy:export-watch`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await alerts.json()) as { items: Array<{ user: string; severity: string }> };
      expect(body.items).toHaveLength(1);
      expect(body.items[0]).toMatchObject({ user: 'exporter@acme.example', severity: 'high' });
    } finally {
      await s2.close();
    }
  });
});
