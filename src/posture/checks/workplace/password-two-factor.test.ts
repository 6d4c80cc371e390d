import { describe, expect, it } from 'vitest';
import { passwordTwoFactor } from './password-two-factor.ts';
import { evaluate, user } from '../../test/fixtures.ts';

describe('workplace.require_two_factor', () => {
  it('is compliant (observed) when nobody signs in with a password', async () => {
    const r = await evaluate(passwordTwoFactor, { users: [user({ id: 'a' }), user({ id: 'b', active: false, authMethod: 'password' })] });
    expect(r.status).toBe('compliant');
    expect(r.observed).toBe('observed');
    expect(r.scoreEarned).toBe(5);
  });

  it('is unknown while password users exist (the setting is not readable), or with no directory', async () => {
    const r = await evaluate(passwordTwoFactor, { users: [user({ id: 'a', authMethod: 'password' })] });
    expect(r.status).toBe('unknown');
    expect(r.evidence.counts.passwordUsers).toBe(1);
    expect((await evaluate(passwordTwoFactor, {})).status).toBe('unknown');
  });

  // "Not compliant" can only be declared for this check: the service test covers declarations.
});
