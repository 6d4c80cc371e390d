// Suppressions lapse at expiresAt: a time-boxed tuning decision stops matching by itself.
import { describe, expect, it } from 'vitest';
import { alert } from '../../test/api/fixtures.ts';
import { SqliteStore } from '../store/sqlite/index.ts';
import { Suppressions, SUPPRESSION_KIND } from './suppressions.ts';

const DAY = 86_400_000;

async function setup() {
  const store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  let now = Date.parse('2026-11-01T00:00:00.000Z');
  const sup = new Suppressions(store, () => now);
  return { store, sup, advance: (ms: number) => (now += ms), iso: () => new Date(now).toISOString() };
}

const base = { by: ['user', 'ip'] as const, isp: null, classification: 'false_positive' as const, reason: 'alert_not_accurate', comment: null, createdBy: 'ana@acme.example' };

describe('suppression expiry', () => {
  it('matches until expiresAt, then lets the same alert through; a suppression without days never lapses', async () => {
    const { store, sup, advance, iso } = await setup();
    const source = alert({ detection: 'suspicious_ip', user: 'sam@acme.example', ips: ['192.0.2.7'] });
    const boxed = await sup.add({ ...base, alert: source, by: [...base.by], now: iso(), forDays: 7 });
    expect(boxed.expiresAt).toBe('2026-11-08T00:00:00.000Z');
    const later = () => alert({ detection: 'suspicious_ip', user: 'sam@acme.example', ips: ['192.0.2.7'] });
    advance(7 * DAY - 1);
    expect(await sup.check(later())).toMatchObject({ id: boxed.id });
    advance(1);
    expect(await sup.check(later())).toBeNull();
    // Still listed (with its hits) for the record, and still in the store.
    expect((await sup.list()).map((s) => [s.id, s.hits])).toEqual([[boxed.id, 1]]);
    expect(await store.getDoc(SUPPRESSION_KIND, boxed.id)).not.toBeNull();

    const forever = await sup.add({ ...base, alert: source, by: [...base.by], now: iso() });
    expect(forever.expiresAt).toBeNull();
    advance(3650 * DAY);
    expect(await sup.check(later())).toMatchObject({ id: forever.id });
    await store.close();
  });

  it('a stored suppression from before expiry existed (no expiresAt) lasts until removed', async () => {
    const { store, iso } = await setup();
    const old = { id: 'sup_old', detection: 'suspicious_ip', user: 'sam@acme.example', ip: null, isp: null, classification: 'false_positive', reason: null, comment: null, fromAlert: 'a1', createdBy: 'x', createdAt: iso(), hits: 0, lastHitAt: null };
    await store.putDoc({ kind: SUPPRESSION_KIND, id: old.id, body: old, updatedAt: iso() });
    const sup = new Suppressions(store, () => Date.parse(iso()) + 1000 * DAY);
    expect(await sup.check(alert({ detection: 'suspicious_ip', user: 'sam@acme.example' }))).toMatchObject({ id: 'sup_old' });
    await store.close();
  });
});
