import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ActivitySchema } from '../../schema/activity.ts';
import { isRampartError } from '../../core/errors.ts';
import { workplaceWebhookFormat } from './format.ts';
import { IMPERSONATION_FIELDS, WORKPLACE_EVENT_MAP, hasImpersonationField, normalizeAuditRecord, normalizeEnvelope } from './normalize.ts';

const opts = { receivedAt: '2026-01-01T00:00:00.000Z', source: 'webhook' };

/** The one real payload (Azure Sentinel fixture, workplace-api.md §3.1). */
const REAL_SAMPLE = {
  object: 'workplace_security',
  entry: [
    {
      id: '504942447160640',
      time: 1617019222,
      changes: [
        {
          field: 'integrations',
          value: {
            actor_community_id: '504942443827307',
            actor_scim_company_id: '504942447160640',
            actor_id: '100064094363063',
            actor_email: 'admin@example.com',
            target_id: '100064094363063',
            target_email: 'admin@example.com',
            target_community_id: '504942443827307',
            target_company_id: '504942447160640',
            ip: '165.225.207.52',
            ip_country: 'PL',
            timestamp: '2021-03-29T12:00:20+0000',
            event: 'CUSTOM_INTEGRATION_EDIT',
            browser_name: 'Firefox',
            browser_os: 'Mac OS X 10.15',
            useragent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:86.0) Gecko/20100101 Firefox/86.0',
            integration_data: { custom_integration_name: '1', custom_integration_status: 'INSTALLED' },
          },
        },
      ],
    },
  ],
};

const one = (event: string, value: Record<string, unknown> = {}, field = 'sessions') =>
  normalizeEnvelope(
    {
      object: 'workplace_security',
      entry: [
        {
          id: '504942447160640',
          time: 1700000000,
          changes: [
            {
              field,
              value: {
                event,
                timestamp: '2023-11-14T22:13:20+0000',
                actor_id: '100064094363064',
                actor_email: 'raj@example.com',
                target_id: '100064094363065',
                target_email: 'ana@example.com',
                ip: '203.0.113.7',
                ip_country: 'GB',
                useragent: 'UA',
                ...value,
              },
            },
          ],
        },
      ],
    },
    opts,
  ).activities[0];

describe('workplace normalizer', () => {
  it('maps the real CUSTOM_INTEGRATION_EDIT sample', () => {
    const { activities, unknownEvents } = normalizeEnvelope(REAL_SAMPLE, opts);
    expect(unknownEvents).toBe(0);
    const a = activities[0];
    expect(ActivitySchema.parse(a)).toBeTruthy();
    expect(a).toMatchObject({
      app: 'workplace',
      tenant: '504942447160640',
      action: 'CUSTOM_INTEGRATION_EDIT',
      category: 'integration',
      isAdminActivity: true,
      time: '2021-03-29T12:00:20.000Z',
      ip: '165.225.207.52',
      actor: { id: '100064094363063', email: 'admin@example.com' },
      target: { type: 'integration', name: '1' },
      geo: { country: 'PL' },
      device: { browser: 'Firefox', os: 'Mac OS X 10.15' },
    });
    expect(a.userAgent).toContain('Firefox/86.0');
    expect((a.raw as { value: unknown }).value).toEqual(REAL_SAMPLE.entry[0].changes[0].value);
    expect((a.raw as { entryId: string }).entryId).toBe('504942447160640');
  });

  // Expected fields per event: what detections key on.
  const cases: Array<[string, Partial<{ category: string; outcome: string; isAdminActivity: boolean; interactive: boolean }>]> = [
    ['USER_LOGIN', { category: 'login', outcome: 'success', isAdminActivity: false, interactive: true }],
    ['USER_LOGIN_FAILED', { category: 'login', outcome: 'failure', isAdminActivity: false }],
    ['USER_LOGOUT', { category: 'logout', outcome: 'success' }],
    ['ADMIN_FORCE_LOG_OUT', { category: 'admin', isAdminActivity: true }],
    ['PASSWORD_CHANGE', { category: 'account', outcome: 'success', isAdminActivity: false }],
    ['PASSWORD_RESET_REQUEST', { category: 'account' }],
    ['PASSWORD_RESET_SUCCESS', { category: 'account', outcome: 'success' }],
    ['PASSWORD_RESET_WRONG_CODE', { category: 'account', outcome: 'failure' }],
    ['FORCE_PASSWORD_RESET', { category: 'admin', isAdminActivity: true }],
    ['TWO_FACTOR_ENABLED', { category: 'account', isAdminActivity: false }],
    ['TWO_FACTOR_DISABLED', { category: 'account', isAdminActivity: false }],
    ['ADMIN_CREATE_ACCOUNT', { category: 'admin', isAdminActivity: true }],
    ['ADMIN_DEACTIVATE', { category: 'admin', isAdminActivity: true }],
    ['ADMIN_ACTIVATE_ACCOUNT', { category: 'admin', isAdminActivity: true }],
    ['ADMIN_SET_TO_UNCLAIMED', { category: 'admin', isAdminActivity: true }],
    ['ADMIN_ROLE_CHANGED', { category: 'admin', isAdminActivity: true }],
  ];

  it('has a test case for every row of the mapping table', () => {
    const tested = new Set([...cases.map(([e]) => e), 'CUSTOM_INTEGRATION_EDIT']);
    expect(Object.keys(WORKPLACE_EVENT_MAP).filter((e) => !tested.has(e))).toEqual([]);
  });

  for (const [event, expected] of cases) {
    it(`maps ${event}`, () => {
      const a = one(event);
      expect(ActivitySchema.parse(a)).toBeTruthy();
      expect(a).toMatchObject({ action: event, ...expected });
      expect(a.actor).toEqual({ id: '100064094363064', email: 'raj@example.com', name: null });
      expect(a.target).toMatchObject({ type: 'user', id: '100064094363065', email: 'ana@example.com' });
      expect(a.ip).toBe('203.0.113.7');
      expect(a.userAgent).toBe('UA');
      expect(a.time).toBe('2023-11-14T22:13:20.000Z');
      expect(a.impersonated).toBe(false);
    });
  }

  it('docs/connectors/workplace.md lists every mapped event with its basis', () => {
    const doc = readFileSync(new URL('../../../docs/connectors/workplace.md', import.meta.url), 'utf8');
    for (const [event, m] of Object.entries(WORKPLACE_EVENT_MAP)) {
      const line = doc.split('\n').find((l) => l.startsWith(`| \`${event}\``));
      expect(line, event).toBeDefined();
      expect(line).toContain(m.basis === 'R' ? '**[R]**' : '[I]');
      expect(line).toContain(`| ${m.category}`);
    }
  });

  it('keys on value.event, not on the change field', () => {
    expect(one('USER_LOGIN', {}, 'whatever_field').category).toBe('login');
  });

  it('keeps unknown events as category other and counts them', () => {
    const r = normalizeEnvelope({ object: 'workplace_security', entry: [{ id: '1', time: 1700000001, changes: [{ field: 'f', value: { event: 'NEW_THING', x: 1 } }, { field: 'g', value: { no_event: true } }] }] }, opts);
    expect(r.unknownEvents).toBe(2);
    expect(r.activities.map((a) => [a.action, a.category])).toEqual([
      ['NEW_THING', 'other'],
      ['workplace_security.g', 'other'],
    ]);
    expect(r.activities[0].time).toBe('2023-11-14T22:13:21.000Z'); // falls back to entry.time
    // A zero time (1970) is a missing time: the next source is used (here the receive time), never 1970, which
    // would have started the tenant's learning period in 1970.
    const zero = normalizeEnvelope({ object: 'workplace_security', entry: [{ id: '1', time: 0, changes: [{ field: 'f', value: { event: 'USER_LOGIN', timestamp: 0 } }] }] }, opts);
    expect(zero.activities[0].time).toBe(opts.receivedAt);
  });

  it('marks impersonated activity from the constructed impersonator fields', () => {
    const a = one('USER_LOGIN', { impersonator_integration_id: 'app-778', impersonator_integration_name: 'HR Bot' });
    expect(a.impersonated).toBe(true);
    expect(a.impersonator).toEqual({ id: 'app-778', email: null });
    expect(a.objects).toContainEqual({ type: 'integration', id: 'app-778', name: 'HR Bot' });
    const plain = one('USER_LOGIN');
    expect(plain.impersonated).toBe(false);
    expect(plain.impersonator).toBeNull();
  });

  it('marks impersonation from each field the table lists (the fast pre-check knows every key)', () => {
    for (const k of [...IMPERSONATION_FIELDS.id, ...IMPERSONATION_FIELDS.email]) {
      expect(hasImpersonationField({ [k]: 'x' }), k).toBe(true);
      const a = one('USER_LOGIN', { [k]: k.includes('email') ? 'bot@acme.example' : 'app-1' });
      expect(a.impersonated, k).toBe(true);
    }
    for (const k of IMPERSONATION_FIELDS.flag) {
      expect(hasImpersonationField({ [k]: true }), k).toBe(true);
      expect(one('USER_LOGIN', { [k]: true }).impersonated, k).toBe(true);
      expect(one('USER_LOGIN', { [k]: false }).impersonated, k).toBe(false);
    }
    expect(hasImpersonationField({ impersonator_integration_name: 'HR Bot', actor_id: '1' })).toBe(false);
  });

  it('keeps the constructed role change details as objects', () => {
    const a = one('ADMIN_ROLE_CHANGED', { role_data: { old_role: 'member', new_role: 'system_admin' } });
    expect(a.objects).toEqual([
      { type: 'role', id: null, name: 'system_admin' },
      { type: 'previous_role', id: null, name: 'member' },
    ]);
  });

  it('gives a redelivery the same id and a different event a different id', () => {
    expect(one('USER_LOGIN').id).toBe(one('USER_LOGIN').id);
    expect(one('USER_LOGIN').id).not.toBe(one('USER_LOGOUT').id);
    expect(one('USER_LOGIN').id).not.toBe(one('USER_LOGIN', { timestamp: '2023-11-14T22:13:21+0000' }).id);
  });

  it('throws RAMPART_ERR_CONN_BAD_PAYLOAD for malformed envelopes, never for odd values', () => {
    for (const bad of [null, [], { entry: [] }, { object: 'x' }, { object: 'x', entry: [1] }, { object: 'x', entry: [{ changes: [] }] }, { object: 'x', entry: [{ id: '1' }] }]) {
      try {
        normalizeEnvelope(bad, opts);
        expect.unreachable(`accepted ${JSON.stringify(bad)}`);
      } catch (e) {
        expect(isRampartError(e) && e.code).toBe('RAMPART_ERR_CONN_BAD_PAYLOAD');
      }
    }
    const odd = one('USER_LOGIN', { actor_id: { nested: true }, ip: 12, timestamp: 'not a time', useragent: 'x'.repeat(10_000) });
    expect(ActivitySchema.parse(odd)).toBeTruthy();
    expect(odd.time).toBe('2023-11-14T22:13:20.000Z');
    // Numbers where strings belong are cut to the same limits as strings: a stored activity that breaks its own
    // schema made every API page holding it answer 500.
    const numeric = one('USER_LOGIN', { ip_country: 1234567890123, browser_name: 1e300, ip: 123456789012345678901234567890123456789012345678901234567890123456789 });
    expect(ActivitySchema.safeParse(numeric).success).toBe(true);
    expect(numeric.geo?.country).toBe('12345678');
  });

  it('reads event times strictly: other offsets yes; no offset, impossible dates and free text fall back to the entry time', () => {
    expect(one('USER_LOGIN', { timestamp: '2023-11-14T23:13:20+01:00' }).time).toBe('2023-11-14T22:13:20.000Z');
    expect(one('USER_LOGIN', { timestamp: 1700000000 }).time).toBe('2023-11-14T22:13:20.000Z');
    for (const t of ['2026-02-30T00:00:00+0000', '2026-01-01T00:00:00', 'x 2026', 'Mar 1']) {
      expect(one('USER_LOGIN', { timestamp: t }).time, t).toBe(one('USER_LOGIN', { timestamp: 'not a time' }).time);
    }
  });

  it('the workplace-webhook input format uses the same normalizer and reports bad records as INPUT_INVALID_RECORD', () => {
    expect(workplaceWebhookFormat.detect(REAL_SAMPLE)).toBe(true);
    expect(workplaceWebhookFormat.detect({ action: 'x' })).toBe(false);
    const [a] = workplaceWebhookFormat.parse(REAL_SAMPLE, { receivedAt: opts.receivedAt, source: 'scan' });
    expect(a.id).toBe(normalizeEnvelope(REAL_SAMPLE, opts).activities[0].id);
    expect(a.source).toBe('scan');
    try {
      workplaceWebhookFormat.parse({ object: 'workplace_security', entry: 'nope' }, { receivedAt: opts.receivedAt, source: 'scan' });
      expect.unreachable();
    } catch (e) {
      expect(isRampartError(e) && e.code).toBe('RAMPART_ERR_INPUT_INVALID_RECORD');
    }
  });

  it('normalizes Admin Center audit records', () => {
    const { activity, known } = normalizeAuditRecord(
      { id: 'evt-1', event_type: 'Login', actor: { id: '1001', username: 'ana@example.com' }, creation_time: '2024-09-13T10:00:00+0000', ip_address: '198.51.100.4', user_agent: 'UA' },
      '504942447160640',
      { receivedAt: opts.receivedAt, source: 'pull' },
    );
    expect(known).toBe(true);
    expect(ActivitySchema.parse(activity)).toBeTruthy();
    expect(activity).toMatchObject({ action: 'USER_LOGIN', category: 'login', outcome: 'success', actor: { id: '1001', email: 'ana@example.com' }, ip: '198.51.100.4', userAgent: 'UA', time: '2024-09-13T10:00:00.000Z', source: 'pull' });
    expect(activity.raw).toMatchObject({ id: 'evt-1', event_type: 'Login' });
    const failed = normalizeAuditRecord({ id: 'evt-9', event_type: 'Login failed', event: 'USER_LOGIN_FAILED', actor: { id: '1001' } }, 't', opts);
    expect(failed.activity).toMatchObject({ action: 'USER_LOGIN_FAILED', category: 'login', outcome: 'failure' });
    const role = normalizeAuditRecord({ id: 'evt-2', event_type: 'New role assigned', actor_username: 'admin@example.com', target_username: 'raj@example.com' }, 't', opts);
    expect(role.activity).toMatchObject({ category: 'admin', isAdminActivity: true, target: { email: 'raj@example.com' } });
    expect(normalizeAuditRecord({ id: 'evt-3', event_type: 'Brand new' }, 't', opts).known).toBe(false);
  });
});
