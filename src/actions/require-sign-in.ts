/** require_sign_in: "revokes all refresh tokens and session cookies" (MDCA) = sign the user out everywhere. */
import type { Action } from './action.ts';

export const requireSignIn: Action = {
  name: 'require_sign_in',
  includes: [],
  suspends: false,
  revertWith: null,
  channel: (p) => p.provider,
  async plan(p, ctx) {
    return {
      summary: `sign ${p.target.user} out of all sessions (${p.provider})`,
      steps: ctx.provider(p.provider).describe('sign_out', p.target),
    };
  },
  async execute(p, ctx) {
    return ctx.provider(p.provider).run('sign_out', p.target, ctx.signal);
  },
};
