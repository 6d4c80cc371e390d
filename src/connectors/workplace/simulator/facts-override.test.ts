// [I] facts are data: a corrected facts.json (RAMPART_SIM_FACTS) changes behaviour with no code change.
// Here: the Admin Center order flipped to newest-first, a different webhook field, a renamed event_type.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

type Json = Record<string, any>;

describe('facts.json override', () => {
  it('newest-first audit order pages consistently; field and event_type names follow the data file', async () => {
    const facts = JSON.parse(readFileSync(new URL('./data/facts.json', import.meta.url), 'utf8'));
    facts.audit.order.value = 'desc';
    facts.events.USER_LOGIN.field = 'logins';
    facts.events.USER_LOGIN.auditType = 'Sign-in';
    const dir = mkdtempSync(join(tmpdir(), 'rampart-facts-'));
    const file = join(dir, 'facts.json');
    writeFileSync(file, JSON.stringify(facts));
    process.env.RAMPART_SIM_FACTS = file;
    const { startWorkplaceSimulator, SimClock } = await import('./index.ts');
    delete process.env.RAMPART_SIM_FACTS;
    const sim = await startWorkplaceSimulator({ users: 30, seed: 2, clock: SimClock.manual(Date.UTC(2025, 1, 3, 12)), historyDays: 2 });
    try {
      const tok = (await (await fetch(`${sim.auditUrl}/work_get_token?grant_type=client_credentials&access_token=${sim.auditClientId}|${sim.auditClientSecret}`, { method: 'POST' })).json()) as Json;
      const h = { authorization: `Bearer ${tok.access_token}` };
      const ids: number[] = [];
      let url: string | undefined = `${sim.auditUrl}/security_audit_logs?limit=13&fields=id,event_type,event`;
      let first: Json | null = null;
      while (url) {
        const r = (await (await fetch(url, { headers: h })).json()) as Json;
        first ??= r;
        ids.push(...r.data.map((e: Json) => Number(e.id)));
        url = r.paging?.next;
      }
      expect(ids.length).toBe(sim.events.length);
      expect(ids).toEqual([...ids].sort((a, b) => b - a)); // newest first
      const login = first!.data.find((e: Json) => e.event === 'USER_LOGIN');
      if (login) expect(login.event_type).toBe('Sign-in');
      // In newest-first order, new events come "before" the first page: poll with before=<first cursor>.
      const newest = first!.paging.cursors.before;
      sim.generator.live(5);
      const fresh = (await (await fetch(`${sim.auditUrl}/security_audit_logs?limit=50&fields=id&before=${encodeURIComponent(newest)}`, { headers: h })).json()) as Json;
      expect(fresh.data.length).toBe(5);
      const body = JSON.parse(sim.webhooks.body(sim.events.filter((e) => e.value.event === 'USER_LOGIN').slice(0, 1).map((e) => e.value), { field: undefined, batchLayout: 'entries' }).toString());
      expect(body.entry[0].changes[0].field).toBe('logins');
    } finally {
      await sim.close();
    }
  });
});
