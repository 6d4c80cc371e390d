// The email daily quota on both real store drivers: durable across a reopen (restart), reset at midnight UTC.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DailyAddressQuota } from '../../src/deliver/email.ts';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import type { Store } from '../../src/store/store.ts';
import { sqliteStore, tempDbPath } from './helpers.ts';

const pgUrl = process.env.RAMPART_TEST_PG_URL;
if (!pgUrl) console.warn('postgres quota test skipped: set RAMPART_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it');

async function quotaAcrossRestart(open: () => Promise<Store>, cleanup?: (s: Store) => Promise<void>): Promise<void> {
  let now = new Date('2026-11-27T22:00:00.000Z');
  const clock = () => now;
  let store = await open();
  let quota = new DailyAddressQuota(store, 3, clock);
  for (let i = 0; i < 3; i++) {
    expect(await quota.allows('soc@example.com')).toBe(true);
    await quota.record('soc@example.com');
  }
  expect(await quota.allows('soc@example.com')).toBe(false);
  await store.close();

  store = await open(); // restart
  quota = new DailyAddressQuota(store, 3, clock);
  expect(await quota.used('SOC@example.com')).toBe(3);
  expect(await quota.allows('soc@example.com')).toBe(false);
  expect(await quota.allows('other@example.com')).toBe(true);
  now = new Date('2026-11-28T00:00:00.000Z');
  expect(await quota.used('soc@example.com')).toBe(0);
  expect(await quota.allows('soc@example.com')).toBe(true);
  await cleanup?.(store);
  await store.close();
}

describe('email quota on the real stores', () => {
  it('SQLite file', async () => {
    const path = tempDbPath();
    await quotaAcrossRestart(() => sqliteStore(path));
  });

  it.skipIf(!pgUrl)('PostgreSQL (own schema, dropped afterwards)', async () => {
    const schema = `rampart_deliver_${randomBytes(6).toString('hex')}`;
    await quotaAcrossRestart(
      async () => {
        const s = new PostgresStore({ url: pgUrl!, schema, poolSize: 2 });
        await s.migrate();
        return s;
      },
      async (s) => (s as PostgresStore).dropSchema(),
    );
  });
});
