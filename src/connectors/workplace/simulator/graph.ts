/**
 * @module simulator/graph
 * Workplace Graph API under `/graph` (optional `/v17.0`-style prefix): community, members, admins,
 * former members, member nodes by id or email, activate/deactivate, logout, delete-unclaimed, create accounts.
 * Cursor paging, `fields=`, `limit`, bearer or `access_token`, optional `appsecret_proof`, usage headers,
 * permission checks per token, and the Graph error envelope.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { workplaceTime } from './clock.ts';
import { GraphError, appsecretProof, bearer, decodeCursor, encodeCursor, params, safeEqual, sendGraphError, type SimContext, type TokenInfo } from './context.ts';
import { FACTS } from './facts.ts';
import type { SimUser } from './org.ts';

type Json = Record<string, unknown>;

const MEMBER_FIELDS: Record<string, (u: SimUser) => unknown> = {
  id: (u) => u.id,
  name: (u) => u.name,
  first_name: (u) => u.firstName,
  last_name: (u) => u.lastName,
  email: (u) => u.email,
  title: (u) => u.title,
  organization: (u) => u.organization,
  division: (u) => u.division,
  department: (u) => u.department,
  locale: (u) => u.locale,
  name_format: () => '{first} {last}',
  link: (u) => `https://work.workplace.com/profile.php?id=${u.id}`,
  updated_time: (u) => workplaceTime(u.updatedTime),
  account_invite_time: (u) => (u.inviteTime != null ? workplaceTime(u.inviteTime) : undefined),
  account_claim_time: (u) => (u.claimTime != null ? workplaceTime(u.claimTime) : undefined),
  account_deactivate_time: (u) => (u.deactivateTime != null && !u.active ? workplaceTime(u.deactivateTime) : undefined),
  external_id: (u) => u.externalId,
  employee_number: (u) => u.employeeNumber,
  frontline: (u) => ({ is_frontline: u.frontline }),
  primary_phone: () => undefined,
  primary_address: () => undefined,
  picture: (u) => ({ data: { url: `https://scontent.workplace.com/${u.id}.jpg`, is_silhouette: true } }),
  // [I] not in the Member reference; offered so a connector can read them when it asks explicitly.
  active: (u) => u.active,
  auth_method: (u) => u.authMethod,
};

const COMMUNITY_FIELDS: Record<string, (c: SimContext) => unknown> = {
  id: (c) => c.tenant.org.communityId,
  name: (c) => c.tenant.org.name,
  privacy: () => 'CLOSED',
  is_community: () => true,
  is_workplace_default: () => false,
  description: () => 'Simulated Workplace community (Rampart)',
  updated_time: (c) => workplaceTime(c.clock.now()),
  member_count: (c) => c.tenant.users.filter((u) => u.active).length,
};

function selectFields<T>(fieldsParam: string | undefined, defaults: string[], table: Record<string, (x: T) => unknown>, node: string, x: T): Json {
  const fields = fieldsParam ? fieldsParam.split(',').map((f) => f.trim()).filter(Boolean) : defaults;
  const out: Json = {};
  for (const f of fields) {
    const name = f.replace(/\{.*\}$/, '').replace(/\..*$/, '');
    const get = table[name];
    if (!get) throw new GraphError('unknownField', name, node);
    const v = get(x);
    if (v !== undefined && v !== null) out[name] = v;
  }
  if (!('id' in out) && table.id) out.id = table.id(x); // Graph always returns the id
  return out;
}

/** Keyset paging over id-ordered items with opaque cursors; `next` is absent on the last page. */
function page<T extends { id: string }>(items: T[], p: Record<string, string>, selfUrl: string, render: (x: T) => Json): Json {
  const limit = Math.min(Math.max(Number(p.limit ?? FACTS.graph.defaultLimit.value) || FACTS.graph.defaultLimit.value, 1), FACTS.graph.maxLimit.value);
  if (p.after && p.before) throw new GraphError('badCursors');
  const cmp = (a: string, b: string) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0);
  let slice: T[];
  if (p.after) {
    const k = decodeCursor(p.after);
    if (k === null) throw new GraphError('badParameter', 'Invalid after cursor');
    slice = items.filter((x) => cmp(x.id, k) > 0).slice(0, limit);
  } else if (p.before) {
    const k = decodeCursor(p.before);
    if (k === null) throw new GraphError('badParameter', 'Invalid before cursor');
    const prior = items.filter((x) => cmp(x.id, k) < 0);
    slice = prior.slice(Math.max(0, prior.length - limit));
  } else slice = items.slice(0, limit);
  const out: Json = { data: slice.map(render) };
  if (slice.length) {
    const first = slice[0].id;
    const last = slice[slice.length - 1].id;
    const paging: Json = { cursors: { before: encodeCursor(first), after: encodeCursor(last) } };
    const link = (k: 'after' | 'before', v: string) => {
      const u = new URL(selfUrl);
      u.searchParams.delete('after');
      u.searchParams.delete('before');
      u.searchParams.delete('access_token'); // Graph puts the token back in; we do not echo secrets
      u.searchParams.set('limit', String(limit));
      u.searchParams.set(k, v);
      return u.toString();
    };
    if (items.some((x) => cmp(x.id, last) > 0)) paging.next = link('after', encodeCursor(last));
    if (items.some((x) => cmp(x.id, first) < 0)) paging.previous = link('before', encodeCursor(first));
    out.paging = paging;
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Sliding one-hour call counter per token, for the usage headers and the budget. */
class Usage {
  readonly #calls = new Map<string, number[]>();
  count(token: string, nowMs: number): number {
    const arr = this.#calls.get(token) ?? [];
    const horizon = nowMs - 3_600_000;
    let i = 0;
    while (i < arr.length && arr[i] < horizon) i++;
    if (i) arr.splice(0, i);
    arr.push(nowMs);
    this.#calls.set(token, arr);
    return arr.length;
  }
}

export function createGraphHandler(ctx: SimContext) {
  const usage = new Usage();
  const t = ctx.tenant;
  const usageHeaders = (reply: FastifyReply, pct: number) => {
    const u = FACTS.graph.usage;
    const p = Math.min(100, Math.round(pct));
    reply.header(u.appHeader, JSON.stringify({ call_count: p, total_cputime: Math.round(p / 2), total_time: Math.round(p / 2) }));
    reply.header(
      u.bucHeader,
      JSON.stringify({ [t.org.companyId]: [{ type: u.bucType, call_count: p, total_cputime: Math.round(p / 2), total_time: Math.round(p / 2), estimated_time_to_regain_access: p >= 100 ? 1 : 0 }] }),
    );
  };

  const need = (tok: TokenInfo, key: string, code: 10 | 200 = 10) => {
    const anyOf = FACTS.graph.permissions[key]?.anyOf ?? [];
    if (!anyOf.some((p) => tok.permissions.has(p))) throw code === 200 ? new GraphError('permission200', anyOf[0] ?? key) : new GraphError('permission10');
  };

  const findMember = (ref: string): SimUser => {
    const u = ref.includes('@') ? t.userByEmail(ref) : t.userById(ref);
    if (!u) throw new GraphError('notFound', ref);
    return u;
  };

  return async function graph(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      const url = new URL(req.url, 'http://x');
      let segs = url.pathname.replace(/^\/graph\/?/, '').split('/').filter(Boolean).map(safeDecode);
      if (segs[0] && /^v\d+(\.\d+)?$/.test(segs[0])) segs = segs.slice(1);
      const p = params(req);
      const tokenStr = bearer(req);
      if (!tokenStr) throw new GraphError('missingToken');
      const tok = ctx.tokens.get(tokenStr);
      if (!tok || tok.kind !== 'graph' || tok.revoked) throw new GraphError('invalidToken');
      if (tok.expiresAtMs !== null && ctx.clock.now() >= tok.expiresAtMs) throw new GraphError('expiredToken');
      if (p.appsecret_proof !== undefined || ctx.requireAppsecretProof) {
        if (!p.appsecret_proof) throw new GraphError('appsecretMissing');
        if (!safeEqual(p.appsecret_proof, appsecretProof(ctx.appSecret, tokenStr))) throw new GraphError('appsecretInvalid');
      }
      const calls = usage.count(tokenStr, ctx.clock.now());
      const pct = (100 * calls) / ctx.graphCallsPerHour;
      usageHeaders(reply, pct);
      if (pct > 100) throw new GraphError('throttle4');

      const selfUrl = `${ctx.baseUrl}${url.pathname}${url.search}`;
      const method = req.method;
      const member = (u: SimUser) => selectFields(p.fields, FACTS.graph.defaultMemberFields.value, MEMBER_FIELDS, 'User', u);
      const ok = () => reply.send(FACTS.graph.successBody.value);

      // GET /?ids=a,b
      if (segs.length === 0) {
        if (method !== 'GET' || !p.ids) throw new GraphError('badParameter', 'Missing ids');
        need(tok, 'member');
        const out: Json = {};
        for (const id of p.ids.split(',')) out[id] = member(findMember(id.trim()));
        return reply.send(out);
      }
      const [head, edge, ...rest] = segs;
      if (rest.length) throw new GraphError('unknownPath', rest.join('/'));
      if (head === 'community' || head === 'company' || head === t.org.communityId) {
        if (!edge) {
          if (method !== 'GET') throw new GraphError('badParameter', 'Unsupported method');
          need(tok, 'community');
          return reply.send(selectFields(p.fields, FACTS.graph.defaultCommunityFields.value, COMMUNITY_FIELDS, 'Group', ctx));
        }
        switch (`${method} ${edge}`) {
          case 'GET members': {
            need(tok, 'members');
            let list = t.users.filter((u) => u.active);
            if (p.external_ids) {
              const want = new Set(p.external_ids.split(',').map((s) => s.trim()));
              list = list.filter((u) => want.has(u.externalId));
            }
            return reply.send(page(list, p, selfUrl, member));
          }
          case 'GET organization_members': {
            need(tok, 'organization_members');
            const inactive = p.inactive === '1' || p.inactive === 'true';
            return reply.send(page(t.users.filter((u) => u.active !== inactive), p, selfUrl, member));
          }
          case 'GET former_members':
            need(tok, 'former_members');
            return reply.send(page(t.users.filter((u) => !u.active), p, selfUrl, member));
          case 'GET admins':
            need(tok, 'admins', 10);
            return reply.send(page(t.admins, p, selfUrl, member));
          case 'POST admins':
          case 'DELETE admins': {
            need(tok, 'member_write', 200);
            const u = findMember(p.id ?? p.user ?? p.email ?? '');
            const promote = method === 'POST';
            if (u.isAdmin !== promote) {
              u.isAdmin = promote;
              const rc = FACTS.constructed.roleChange;
              t.emit('ADMIN_ROLE_CHANGED', { integration: true }, u, { ...t.apiContext(), extra: { [rc.key]: { [rc.fields[0]]: promote ? 'Member' : 'System Administrator', [rc.fields[1]]: promote ? 'System Administrator' : 'Member' } } });
            }
            return ok();
          }
          case 'POST accounts': {
            need(tok, 'accounts_create', 200);
            if (!p.email && !p.external_id) throw new GraphError('badParameter', 'email or external_id is required');
            if (p.email && t.userByEmail(p.email)) throw new GraphError('badParameter', 'An account with this email already exists');
            const [first, ...last] = (p.name ?? '').split(' ');
            const u = t.createUser({
              email: p.email,
              externalId: p.external_id,
              title: p.title,
              department: p.department,
              firstName: first || undefined,
              lastName: last.join(' ') || undefined,
              authMethod: p.auth_method === 'password' || p.auth_method === 'sso' ? p.auth_method : undefined,
              locale: p.work_locale,
            });
            if (p.email === undefined) t.updateEmail(u, `${u.externalId.toLowerCase()}@${t.org.domain}`);
            return reply.send({ id: u.id });
          }
          default:
            throw new GraphError('unknownPath', edge);
        }
      }
      // member node
      const u = findMember(head);
      if (edge === 'logout') {
        if (method !== 'POST') throw new GraphError('badParameter', 'Unsupported method');
        need(tok, 'logout', 200);
        t.logout(u);
        return ok();
      }
      if (edge === 'managers' || edge === 'reports') {
        need(tok, 'member');
        const list = edge === 'managers' ? (u.managerId ? [findMember(u.managerId)] : []) : t.users.filter((x) => x.managerId === u.id);
        return reply.send(page(list, p, selfUrl, member));
      }
      if (edge) throw new GraphError('unknownPath', edge);
      if (method === 'GET') {
        need(tok, 'member');
        return reply.send(member(u));
      }
      if (method === 'DELETE') {
        need(tok, 'member_write', 200);
        if (!t.deleteUser(u)) throw new GraphError('deleteClaimed');
        return ok();
      }
      if (method === 'POST') {
        need(tok, 'member_write', 200);
        if (p.active !== undefined) {
          if (p.active !== 'true' && p.active !== 'false') throw new GraphError('badParameter', 'active must be true or false');
          t.setActive(u, p.active === 'true');
          return ok();
        }
        const editable: Record<string, keyof SimUser> = { title: 'title', department: 'department', organization: 'organization', division: 'division', cost_center: 'costCenter', external_id: 'externalId', work_locale: 'locale' };
        for (const [k, field] of Object.entries(editable)) if (p[k] !== undefined) (u as unknown as Json)[field] = p[k];
        if (p.auth_method === 'sso' || p.auth_method === 'password') t.setAuthMethod(u, p.auth_method);
        if (p.manager) u.managerId = findMember(p.manager).id;
        if (p.email) t.updateEmail(u, p.email);
        u.updatedTime = ctx.clock.now();
        return ok();
      }
      throw new GraphError('badParameter', 'Unsupported method');
    } catch (err) {
      if (err instanceof GraphError) return sendGraphError(reply, err);
      throw err;
    }
  };
}
