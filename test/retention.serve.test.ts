// `rampart serve` runs the retention pass at start: what is past its period goes, current state stays.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/core/logger.ts';
import { startService } from '../src/main.ts';
import { openStore } from '../src/store/index.ts';
import { ActivitySchema } from '../src/schema/activity.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('prunes old activities, rejects, audit and governance entries at start; keeps policies and recent logs', async () => {
  const dbPath = join(dir, 'r.db');
  const configFile = join(dir, 'rampart.yaml');
  writeFileSync(configFile, `store: { driver: sqlite, path: ${JSON.stringify(dbPath)} }\nretentionDays: 30\nlogRetentionDays: 90\ndemo: { enabled: false }\nlog: { level: silent }\n`);
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
  const seed = await openStore({ driver: 'sqlite', path: dbPath });
  const act = (id: string, time: string) =>
    ActivitySchema.parse({ id, time, receivedAt: time, app: 'workplace', action: 'USER_LOGIN', category: 'login', outcome: 'success', actor: { id: 'u1', email: 'u1@acme.example', name: null } });
  await seed.putActivities([act('old', daysAgo(31)), act('recent', daysAgo(29))]);
  await seed.putRejects([{ id: 'rj-old', source: 'webhook', code: 'RAMPART_ERR_INPUT_MALFORMED_JSON', reason: 'x', sample: '{', receivedAt: daysAgo(31) }]);
  await seed.putDoc({ kind: 'audit', id: 'au-old', body: {}, updatedAt: daysAgo(91) });
  await seed.putDoc({ kind: 'audit', id: 'au-recent', body: {}, updatedAt: daysAgo(89) });
  await seed.putDoc({ kind: 'governance', id: 'gv-old', body: {}, updatedAt: daysAgo(91) });
  await seed.putDoc({ kind: 'policy', id: 'p-old', body: { name: 'p-old' }, updatedAt: daysAgo(500) });
  await seed.close();

  const s = await startService(loadConfig(configFile), { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }) });
  try {
    // The pass starts with the service and runs in the background: wait for its last step to be visible.
    for (let i = 0; i < 100 && (await s.store.getDoc('governance', 'gv-old')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await s.store.getActivity('old')).toBeNull();
    expect(await s.store.getActivity('recent')).not.toBeNull();
    expect((await s.store.listRejects()).items).toEqual([]);
    expect((await s.store.listDocs('audit')).map((d) => d.id)).toContain('au-recent');
    expect((await s.store.listDocs('audit')).map((d) => d.id)).not.toContain('au-old');
    expect(await s.store.getDoc('governance', 'gv-old')).toBeNull();
    expect(await s.store.getDoc('policy', 'p-old')).not.toBeNull();
  } finally {
    await s.close();
  }
}, 60_000);
