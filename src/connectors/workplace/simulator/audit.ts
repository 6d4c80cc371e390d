/**
 * @module simulator/audit
 * Meta Admin Center pull API under `/admin` (real host graph.work.meta.com): `POST /work_get_token`
 * (client credentials, expiring tokens, one active token per integration) and `GET /security_audit_logs`
 * (fields, limit, before/after cursors, start/end time filters). Order is the log's append order, so a client
 * resuming from an `after` cursor sees no gap and no duplicate.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphError, bearer, decodeCursor, encodeCursor, newToken, params, safeEqual, sendGraphError, type SimContext } from './context.ts';
import { FACTS } from './facts.ts';
import type { RecordedEvent } from './tenant.ts';

type Json = Record<string, unknown>;

const STANDARD_KEYS = new Set([
  'event', 'timestamp', 'actor_community_id', 'actor_scim_company_id', 'actor_id', 'actor_email', 'target_id', 'target_email',
  'target_community_id', 'target_company_id', 'ip', 'ip_country', 'browser_name', 'browser_os', 'useragent', 'integration_data',
]);

/** Audit record id: a stable number per log position. */
export const auditId = (seq: number): string => String(7_100_000_000_000 + seq);

/** One security_audit_logs record ([I] shape, names in facts.json audit.allFields). */
export function auditRecord(e: RecordedEvent): Json {
  const v = e.value;
  const rec: Json = {
    id: auditId(e.seq),
    event_type: FACTS.events[v.event]?.auditType ?? v.event,
    event: v.event,
    creation_time: v.timestamp,
    actor: v.actor_id ? { id: v.actor_id, ...(v.actor_email ? { username: v.actor_email } : {}) } : undefined,
    target: v.target_id ? { id: v.target_id, ...(v.target_email ? { username: v.target_email } : {}) } : undefined,
    ip_address: v.ip,
    ip_country: v.ip_country,
    user_agent: v.useragent,
    integration_data: v.integration_data,
  };
  for (const [k, val] of Object.entries(v)) if (!STANDARD_KEYS.has(k)) rec[k] = val; // constructed keys (role, impersonation)
  return rec;
}

export function createAuditHandler(ctx: SimContext) {
  const t = ctx.tenant;
  let active: string | null = null;
  const checkIp = (req: FastifyRequest) => {
    if (ctx.auditIpAllowList.size && !ctx.auditIpAllowList.has(req.ip)) throw new GraphError('ipNotAllowed', req.ip);
  };

  const issue = (req: FastifyRequest, reply: FastifyReply) => {
    const p = params(req);
    checkIp(req);
    if (p.grant_type !== 'client_credentials') throw new GraphError('badParameter', 'grant_type must be client_credentials');
    const [id, secret] = (p.access_token ?? '').split('|');
    if (!id || !secret || !safeEqual(id, ctx.auditClientId) || !safeEqual(secret, ctx.auditClientSecret)) throw new GraphError('badClientCredentials');
    const now = ctx.clock.now();
    const current = active ? ctx.tokens.get(active) : undefined;
    const ttl = ctx.auditTokenTtlSecs;
    if (current && !current.revoked && current.expiresAtMs! > now && FACTS.audit.onReissue.value === 'return_existing') {
      return reply.send({ access_token: current.token, token_type: FACTS.audit.tokenType.value, expires_in: Math.floor((current.expiresAtMs! - now) / 1000) });
    }
    if (current) current.revoked = true; // one active token per integration [R]
    const token = newToken();
    ctx.tokens.add(token, ctx.auditPermissions, 'audit', now + ttl * 1000);
    active = token;
    return reply.send({ access_token: token, token_type: FACTS.audit.tokenType.value, expires_in: ttl });
  };

  const list = (req: FastifyRequest, reply: FastifyReply) => {
    const p = params(req);
    checkIp(req);
    const tokenStr = bearer(req);
    if (!tokenStr) throw new GraphError('missingToken');
    const tok = ctx.tokens.get(tokenStr);
    if (!tok || tok.kind !== 'audit') throw new GraphError('invalidToken');
    if (tok.revoked || (tok.expiresAtMs !== null && ctx.clock.now() >= tok.expiresAtMs)) throw new GraphError('expiredToken');
    if (!FACTS.graph.permissions.audit.anyOf.some((x) => ctx.auditPermissions.has(x))) throw new GraphError('permission10');
    if (p.after && p.before) throw new GraphError('badCursors');
    const limit = Math.min(Math.max(Number(p.limit ?? FACTS.audit.defaultLimit.value) || FACTS.audit.defaultLimit.value, 1), FACTS.audit.maxLimit.value);
    const startParam = p[FACTS.audit.startParam.value];
    const endParam = p[FACTS.audit.endParam.value];
    const start = startParam !== undefined ? Number(startParam) : null;
    const end = endParam !== undefined ? Number(endParam) : null;
    if ((start !== null && !Number.isFinite(start)) || (end !== null && !Number.isFinite(end))) throw new GraphError('badParameter', `${FACTS.audit.startParam.value}/${FACTS.audit.endParam.value} must be unix seconds`);
    const inWindow = (e: RecordedEvent) => {
      const s = Math.floor(e.timeMs / 1000);
      return (start === null || s >= start) && (end === null || s <= end);
    };
    const cur = (c: string, name: string) => {
      const k = decodeCursor(c);
      const n = k === null ? NaN : Number(k);
      if (!Number.isInteger(n) || n < 0) throw new GraphError('badParameter', `Invalid ${name} cursor`);
      return n;
    };
    const fields = p.fields ? p.fields.split(',').map((f) => f.trim()).filter(Boolean) : FACTS.audit.defaultFields.value;
    for (const f of fields) if (!FACTS.audit.allFields.value.includes(f) && !['role_data', FACTS.constructed.impersonation.integrationIdKey, FACTS.constructed.impersonation.integrationNameKey].includes(f)) throw new GraphError('unknownField', f, 'SecurityAuditLog');
    const render = (e: RecordedEvent) => {
      const rec = auditRecord(e);
      const out: Json = {};
      for (const f of fields) if (rec[f] !== undefined) out[f] = rec[f];
      if (!p.fields) for (const [k, v] of Object.entries(rec)) if (!FACTS.audit.allFields.value.includes(k)) out[k] = v;
      return out;
    };

    const asc = FACTS.audit.order.value === 'asc';
    // An ordered view of the log without copying it: position p (0 = first in API order) -> log entry.
    const log = t.log;
    const n = log.length;
    const at = (pos: number) => log[asc ? pos : n - 1 - pos];
    const firstSeq = t.firstSeq;
    // Position of the first entry that comes after seq in API order.
    const posAfter = (seq: number) => {
      const idx = Math.min(Math.max(seq - firstSeq + 1, 0), n); // log index of the first entry with e.seq > seq
      return asc ? idx : Math.max(0, n - Math.min(Math.max(seq - firstSeq, 0), n));
    };
    const slice: RecordedEvent[] = [];
    let hasNext = false;
    let hasPrev = false;
    const anyMatch = (from: number, step: 1 | -1) => {
      for (let q = from; q >= 0 && q < n; q += step) if (inWindow(at(q))) return true;
      return false;
    };
    if (p.before) {
      const end = posAfter(cur(p.before, 'before') - (asc ? 1 : -1)); // entries strictly before the cursor
      let q = end - 1;
      for (; q >= 0 && slice.length < limit; q--) if (inWindow(at(q))) slice.unshift(at(q));
      hasPrev = anyMatch(q, -1);
      hasNext = anyMatch(end, 1);
    } else {
      const from = p.after ? posAfter(cur(p.after, 'after')) : 0;
      let q = from;
      for (; q < n && slice.length < limit; q++) if (inWindow(at(q))) slice.push(at(q));
      hasNext = anyMatch(q, 1);
      hasPrev = anyMatch(from - 1, -1);
    }
    const out: Json = { data: slice.map(render) };
    if (slice.length) {
      const link = (k: string, v: string) => {
        const u = new URL(`${ctx.baseUrl}/admin/security_audit_logs`);
        for (const [pk, pv] of Object.entries(p)) if (!['after', 'before', 'access_token'].includes(pk)) u.searchParams.set(pk, pv);
        u.searchParams.set('limit', String(limit));
        u.searchParams.set(k, v);
        return u.toString();
      };
      const before = encodeCursor(String(slice[0].seq));
      const after = encodeCursor(String(slice[slice.length - 1].seq));
      out.paging = { cursors: { before, after }, ...(hasNext ? { next: link('after', after) } : {}), ...(hasPrev ? { previous: link('before', before) } : {}) };
    }
    return reply.send(out);
  };

  return async function audit(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      const path = new URL(req.url, 'http://x').pathname.replace(/^\/admin\/?/, '').replace(/^v\d+(\.\d+)?\//, '');
      if (path === 'work_get_token' && (req.method === 'POST' || req.method === 'GET')) return issue(req, reply);
      if (path === 'security_audit_logs' && req.method === 'GET') return list(req, reply);
      throw new GraphError('unknownPath', path);
    } catch (err) {
      if (err instanceof GraphError) return sendGraphError(reply, err);
      throw err;
    }
  };
}
