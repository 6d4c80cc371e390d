import { describe, expect, it } from 'vitest';
import { customIntegrationsReviewed } from './custom-integrations-reviewed.ts';
import { ago, evaluate, event, oldLogStart, user } from '../../test/fixtures.ts';

const edit = (integration: string, days: number) =>
  event('CUSTOM_INTEGRATION_EDIT', 'admin', ago(days), { category: 'integration', target: { type: 'integration', id: integration, name: `App ${integration}` } });
const users = [user({ id: 'admin', isAdmin: true })];

describe('workplace.custom_integrations_reviewed', () => {
  it('is compliant when no integration changed in 90 days, or each change was reviewed after it', async () => {
    const none = await evaluate(customIntegrationsReviewed, { users, activities: [oldLogStart(), edit('i1', 100)] });
    expect(none.status).toBe('compliant');
    expect(none.scoreEarned).toBe(5);
    const reviewed = await evaluate(customIntegrationsReviewed, {
      users,
      activities: [oldLogStart(), edit('i1', 20)],
      reviews: [{ item: 'i1', by: 'ana', at: ago(10), reason: 'owned by IT, scopes checked' }],
    });
    expect(reviewed.status).toBe('compliant');
    expect(reviewed.evidence.accounts[0]).toMatchObject({ id: 'i1', name: 'App i1', reviewed: { by: 'ana' } });
  });

  it('is not compliant for an unreviewed integration, or one edited again after its review', async () => {
    const r = await evaluate(customIntegrationsReviewed, {
      users,
      activities: [oldLogStart(), edit('i1', 20), edit('i2', 30), edit('i2', 5)],
      reviews: [{ item: 'i1', by: 'ana', at: ago(10), reason: 'ok' }, { item: 'i2', by: 'ana', at: ago(10), reason: 'ok' }],
    });
    expect(r.status).toBe('not_compliant');
    expect(r.evidence.counts).toMatchObject({ integrations: 2, reviewed: 1, notReviewed: 1 });
    expect(r.evidence.accounts[0]).toMatchObject({ id: 'i2', reviewed: null });
    expect(r.evidence.accounts[0].activityIds).toHaveLength(2);
    expect(r.scoreEarned).toBe(2.5);
  });

  it('is unknown when no event was found and the log covers less than 90 days', async () => {
    const r = await evaluate(customIntegrationsReviewed, { users, activities: [event('USER_LOGIN', 'admin', ago(10))] });
    expect(r.status).toBe('unknown');
    expect((await evaluate(customIntegrationsReviewed, {})).status).toBe('unknown');
  });
});
