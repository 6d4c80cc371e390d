/**
 * suspend_user: no access and no sign-in; "if they're logged in ... they're immediately locked out" (MDCA).
 * So it disables the account and then ends every session: suspend includes require_sign_in.
 */
import type { Action } from './action.ts';

export const suspendUser: Action = {
  name: 'suspend_user',
  includes: ['require_sign_in'],
  suspends: true,
  revertWith: 'unsuspend_user',
  channel: (p) => p.provider,
  async plan(p, ctx) {
    const provider = ctx.provider(p.provider);
    return {
      summary: `suspend ${p.target.user} and sign out all sessions (${p.provider})`,
      steps: [...provider.describe('suspend', p.target), ...provider.describe('sign_out', p.target)],
    };
  },
  async execute(p, ctx) {
    const provider = ctx.provider(p.provider);
    const suspended = await provider.run('suspend', p.target, ctx.signal);
    const signedOut = await provider.run('sign_out', p.target, ctx.signal);
    return `${suspended}; ${signedOut}`;
  },
};
