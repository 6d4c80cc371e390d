// A policy created through the API joins live detection at once, follows enable/disable, and survives a restart.
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
  it('apply to live detection at once and after a restart', async () => {
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
    const call = (url: string, method = 'GET', body?: unknown) =>
      fetch(`${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const policyAlerts = async (base: string) =>
      ((await (await call(`${base}/api/alerts?detection=policy:export-watch`)).json()) as { items: Array<{ user: string; severity: string }> }).items;
    // Live at once: the next matching activity raises the policy's alert.
    expect(s1.engine.detections.some((d) => d.id === 'policy:export-watch')).toBe(true);
    await s1.pipeline.ingest([activity({ user: 'first@acme.example', action: 'data.export', category: 'content' })]);
    await s1.pipeline.drain();
    expect((await policyAlerts(s1.url)).map((a) => a.user)).toEqual(['first@acme.example']);
    // Disabled: no alert for the next one.
    expect((await call(`${s1.url}/api/policies/export-watch`, 'PATCH', { enabled: false })).status).toBe(200);
    await s1.pipeline.ingest([activity({ user: 'second@acme.example', action: 'data.export', category: 'content' })]);
    await s1.pipeline.drain();
    expect((await policyAlerts(s1.url)).map((a) => a.user)).toEqual(['first@acme.example']);
    expect((await call(`${s1.url}/api/policies/export-watch`, 'PATCH', { enabled: true })).status).toBe(200);
    // Built-in detections are untouched by reloads.
    expect(s1.engine.detections.filter((d) => !d.id.startsWith('policy:')).length).toBeGreaterThanOrEqual(8);
    expect(() => s1.engine.unregister('impossible_travel')).toThrow(/per-user state/);
    await s1.close();

    const s2 = await startService({ config, baseDir: dir, file: null }, opts);
    try {
      expect(s2.engine.detections.some((d) => d.id === 'policy:export-watch')).toBe(true);
      await s2.pipeline.ingest([activity({ user: 'exporter@acme.example', action: 'data.export', category: 'content' })]);
      await s2.pipeline.drain();
      const items = await policyAlerts(s2.url);
      expect(items.map((a) => a.user).sort()).toEqual(['exporter@acme.example', 'first@acme.example']);
      expect(items.find((a) => a.user === 'exporter@acme.example')!.severity).toBe('high');
    } finally {
      await s2.close();
    }
  });

  it('a runaway policy is disabled automatically, shown as such, and a person re-enables it', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'rampart-api-policy-ad-'));
    const config = parseConfig(
      `store: { driver: sqlite, path: ${JSON.stringify(join(d2, 'r.db'))} }\ndemo: { enabled: false }\nlog: { level: silent }\npolicies: { directory: ${JSON.stringify(join(d2, 'policies'))}, autoDisableMatchesPer3Hours: 2 }\ndetections: { learningDays: 0 }`,
    );
    const printed: string[] = [];
    const s = await startService({ config, baseDir: d2, file: null }, { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }), api: { printOnce: (t: string) => printed.push(t), scryptCost: 2 ** 12 } });
    try {
      await s.api.accounts.setPassword('admin@localhost', 'auto disable passphrase');
      const token = (await s.api.accounts.createToken({ name: 't', role: 'admin', createdBy: { kind: 'session', id: 'admin@localhost', name: 'admin@localhost', role: 'admin' } })).token;
      const call = (path: string, method = 'GET', body?: unknown) =>
        fetch(s.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      expect((await call('/api/policies', 'POST', { name: 'chatty', filters: [{ field: 'action', op: 'eq', value: 'chat.send' }] })).status).toBe(201);
      const send = async (n: number) => {
        for (let i = 0; i < n; i++) await s.pipeline.ingest([activity({ user: `u${i}@acme.example`, action: 'chat.send', category: 'content' })]);
        await s.pipeline.drain();
      };
      const alerts = async () => ((await (await call('/api/alerts?detection=policy:chatty')).json()) as { items: unknown[] }).items.length;
      await send(4);
      const raisedBefore = await alerts();
      expect(raisedBefore).toBeLessThan(4);
      // The auto-disable record is written without being awaited: poll until it is listed.
      let reason: string | undefined;
      while (!reason) {
        const listed = (await (await call('/api/policies')).json()) as { items: Array<{ policy: { name: string }; autoDisabled: { reason: string } | null }> };
        reason = listed.items.find((p) => p.policy.name === 'chatty')!.autoDisabled?.reason;
        if (!reason) await new Promise((r) => setTimeout(r, 10));
      }
      expect(reason).toBe('matches_per_3_hours');
      // A person re-enables it: the next match alerts again, and the list no longer shows the automatic disable.
      expect((await call('/api/policies/chatty', 'PATCH', { enabled: true })).status).toBe(200);
      await s.pipeline.ingest([activity({ user: 'after@acme.example', action: 'chat.send', category: 'content' })]);
      await s.pipeline.drain();
      expect(await alerts()).toBe(raisedBefore + 1);
      const again = (await (await call('/api/policies')).json()) as { items: Array<{ policy: { name: string }; autoDisabled: unknown }> };
      expect(again.items.find((p) => p.policy.name === 'chatty')!.autoDisabled).toBeNull();
    } finally {
      await s.close();
      rmSync(d2, { recursive: true, force: true });
    }
  });
});
