/** unsuspend_user: lets the user sign in again; the revert of suspend_user. */
import type { Action } from './action.ts';

export const unsuspendUser: Action = {
  name: 'unsuspend_user',
  includes: [],
  suspends: false,
  revertWith: 'suspend_user',
  channel: (p) => p.provider,
  async plan(p, ctx) {
    return {
      summary: `unsuspend ${p.target.user} (${p.provider})`,
      steps: ctx.provider(p.provider).describe('unsuspend', p.target),
    };
  },
  async execute(p, ctx) {
    return ctx.provider(p.provider).run('unsuspend', p.target, ctx.signal);
  },
};
