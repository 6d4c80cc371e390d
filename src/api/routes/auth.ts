/**
 * @module api/routes/auth
 * Sign-in for people (session cookie HttpOnly, SameSite=Strict, Secure under TLS, plus a CSRF token returned in
 * the body), sign-out, who am I, and password change. Local accounts (admin) and API tokens (admin) live here.
 */
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import { AccountViewSchema, EmailSchema, TokenViewSchema } from '../auth/accounts.ts';
import { checkOrigin, sessionCookieName } from '../auth/guard.ts';
import { MAX_PASSWORD_LENGTH } from '../auth/passwords.ts';
import { SlidingWindowLimiter, clientKey } from '../auth/rate-limit.ts';
import type { ApiContext } from '../context.ts';
import { ROLES, route } from '../route.ts';

const MeSchema = z.object({
  kind: z.enum(['session', 'token']),
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  /** Sessions only: send it back as the X-CSRF-Token header on every state-changing request. */
  csrfToken: z.string().nullable(),
  mustChangePassword: z.boolean(),
});
const EmailParams = z.object({ email: EmailSchema });

export function authRoutes(ctx: ApiContext) {
  const tls = Boolean(ctx.config.server.tls);
  const cookie = sessionCookieName(tls);
  const limiter = new SlidingWindowLimiter({ limit: ctx.config.api.loginAttemptsPerMinute, windowMs: 60_000, now: ctx.now });
  const cookieAttrs = `Path=/; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`;

  return [
    route({
      method: 'POST',
      url: '/api/auth/login',
      access: 'public',
      tag: 'auth',
      summary: 'Sign in with email and password; sets the session cookie and returns the CSRF token',
      body: z.object({ email: EmailSchema, password: z.string().min(1).max(MAX_PASSWORD_LENGTH) }).strict(),
      response: MeSchema,
      handler: async ({ body, req, reply, audit }) => {
        audit('auth.login', body.email);
        // Login CSRF: a cross-site page must not sign the browser into an attacker's account.
        checkOrigin(req, tls, ctx.config.api.allowedOrigins);
        const wait = limiter.take(clientKey(req.ip));
        if (wait) {
          reply.header('retry-after', String(wait));
          throw new RampartError('RAMPART_ERR_API_RATE_LIMITED', [req.ip, wait]);
        }
        try {
          const s = await ctx.accounts.login(body.email, body.password, req.ip);
          reply.header('set-cookie', `${cookie}=${s.sessionToken}; ${cookieAttrs}; Max-Age=${ctx.config.api.sessionTtlSecs}`);
          req.principal = { kind: 'session', id: s.account.email, name: s.account.email, role: s.account.role };
          return { kind: 'session' as const, id: s.account.email, name: s.account.email, role: s.account.role, csrfToken: s.csrf, mustChangePassword: s.account.mustChangePassword };
        } catch (err) {
          if (err instanceof RampartError) ctx.metrics.inc('rampart_api_auth_failures_total', { kind: err.code === 'RAMPART_ERR_API_ACCOUNT_LOCKED' ? 'locked' : 'password' });
          throw err;
        }
      },
    }),
    route({
      method: 'POST',
      url: '/api/auth/logout',
      beforePasswordChange: true,
      access: 'viewer',
      tag: 'auth',
      summary: 'Sign out: ends the session and clears the cookie',
      response: z.object({ ok: z.literal(true) }),
      handler: async ({ principal, reply, audit }) => {
        audit('auth.logout', principal!.id);
        if (principal!.sessionHash) await ctx.accounts.logout(principal!.sessionHash);
        reply.header('set-cookie', `${cookie}=; ${cookieAttrs}; Max-Age=0`);
        return { ok: true as const };
      },
    }),
    route({
      method: 'GET',
      url: '/api/auth/me',
      beforePasswordChange: true,
      access: 'viewer',
      tag: 'auth',
      summary: 'Who is calling, with what role (and, for a session, its CSRF token)',
      response: MeSchema,
      handler: async ({ principal }) => {
        const p = principal!;
        const acct = p.kind === 'session' ? await ctx.accounts.get(p.id) : null;
        return { kind: p.kind, id: p.id, name: p.name, role: p.role, csrfToken: p.csrf ?? null, mustChangePassword: acct?.mustChangePassword ?? false };
      },
    }),
    route({
      method: 'POST',
      url: '/api/auth/password',
      beforePasswordChange: true,
      access: 'viewer',
      tag: 'auth',
      summary: "Change the signed-in person's password (ends their other sessions)",
      body: z.object({ currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH), newPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH) }).strict(),
      response: z.object({ ok: z.literal(true) }),
      handler: async ({ body, principal, audit }) => {
        const p = principal!;
        audit('auth.password_change', p.id);
        if (p.kind !== 'session') throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['API tokens have no password']);
        // Re-check the current password (counts towards lockout like a sign-in).
        await ctx.accounts.checkPassword(p.id, body.currentPassword);
        await ctx.accounts.setPassword(p.id, body.newPassword, p.sessionHash);
        return { ok: true as const };
      },
    }),

    // ---------- accounts (admin) ----------
    route({
      method: 'GET',
      url: '/api/accounts',
      access: 'admin',
      tag: 'accounts',
      summary: 'Local accounts',
      response: z.object({ items: z.array(AccountViewSchema) }),
      handler: async () => ({ items: (await ctx.accounts.list()).map((a) => ctx.accounts.view(a)) }),
    }),
    route({
      method: 'POST',
      url: '/api/accounts',
      access: 'admin',
      tag: 'accounts',
      summary: 'Create an account; without a password one is generated and returned once',
      body: z.object({ email: EmailSchema, role: z.enum(ROLES), password: z.string().min(1).max(MAX_PASSWORD_LENGTH).optional() }).strict(),
      status: 201,
      response: z.object({ account: AccountViewSchema, password: z.string().nullable() }),
      handler: async ({ body, audit }) => {
        audit('account.create', body.email, { role: body.role });
        const r = await ctx.accounts.create(body);
        return { account: ctx.accounts.view(r.account), password: r.password };
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/accounts/:email',
      access: 'admin',
      tag: 'accounts',
      summary: 'Change the role of an account or disable it (its sessions end)',
      params: EmailParams,
      body: z.object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() }).strict(),
      response: AccountViewSchema,
      handler: async ({ params, body, audit }) => {
        audit('account.update', params.email, { ...body });
        return ctx.accounts.view(await ctx.accounts.update(params.email, body));
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/accounts/:email',
      access: 'admin',
      tag: 'accounts',
      summary: 'Delete an account (not the last admin)',
      params: EmailParams,
      response: z.object({ deleted: z.string() }),
      handler: async ({ params, audit }) => {
        audit('account.delete', params.email);
        await ctx.accounts.delete(params.email);
        return { deleted: params.email };
      },
    }),
    route({
      method: 'POST',
      url: '/api/accounts/:email/unlock',
      access: 'admin',
      tag: 'accounts',
      summary: 'Unlock an account locked by failed sign-ins',
      params: EmailParams,
      response: AccountViewSchema,
      handler: async ({ params, audit }) => {
        audit('account.unlock', params.email);
        return ctx.accounts.view(await ctx.accounts.unlock(params.email));
      },
    }),

    // ---------- API tokens (admin) ----------
    route({
      method: 'GET',
      url: '/api/tokens',
      access: 'admin',
      tag: 'tokens',
      summary: 'API tokens (never their secrets), with last-used times',
      response: z.object({ items: z.array(TokenViewSchema) }),
      handler: async () => ({ items: await ctx.accounts.listTokens() }),
    }),
    route({
      method: 'POST',
      url: '/api/tokens',
      access: 'admin',
      tag: 'tokens',
      summary: 'Create an API token scoped to a role; the token is in the answer once and never again',
      body: z.object({ name: z.string().min(1).max(128), role: z.enum(ROLES), expiresInDays: z.number().int().min(1).max(3650).optional() }).strict(),
      status: 201,
      response: z.object({ token: z.string(), info: TokenViewSchema }),
      handler: async ({ body, principal, audit }) => {
        const r = await ctx.accounts.createToken({ ...body, createdBy: principal! });
        audit('token.create', r.record.id, { name: body.name, role: body.role });
        return { token: r.token, info: r.record };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/tokens/:id',
      access: 'admin',
      tag: 'tokens',
      summary: 'Revoke an API token (it stops working at once)',
      params: z.object({ id: z.string().min(1).max(64) }),
      response: TokenViewSchema,
      handler: async ({ params, principal, audit }) => {
        audit('token.revoke', params.id);
        return ctx.accounts.revokeToken(params.id, principal!.id);
      },
    }),
  ];
}
