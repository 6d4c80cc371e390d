/**
 * @module simulator/scim
 * Account Management SCIM 2.0 API under `/scim` (Workplace: https://scim.workplace.com/): Users list with
 * startIndex/count and `eq` filters on userName/externalId only, get, create, PUT (partial, as Meta's suspend
 * sample), PATCH (PatchOp), DELETE (412 for claimed users), ServiceProviderConfigs and Schemas/Users, with the
 * core, enterprise and Facebook extension schemas of workplace-api.md §7.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearer, type SimContext } from './context.ts';
import { FACTS } from './facts.ts';
import type { SimUser } from './org.ts';

export const SCIM_SCHEMAS = {
  core: 'urn:ietf:params:scim:schemas:core:2.0:User',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  startTermDates: 'urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User',
  accountStatus: 'urn:ietf:params:scim:schemas:extension:facebook:accountstatusdetails:2.0:User',
  authMethod: 'urn:ietf:params:scim:schemas:extension:facebook:authmethod:2.0:User',
} as const;

type Json = Record<string, unknown>;

class ScimError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly scimType?: string,
  ) {
    super(detail);
  }
}

const secs = (ms: number | null): number | undefined => (ms == null ? undefined : Math.floor(ms / 1000));

export function scimUser(u: SimUser, baseUrl: string): Json {
  const manager = u.managerId ? { managerId: Number(u.managerId) } : undefined;
  return {
    schemas: [SCIM_SCHEMAS.core, SCIM_SCHEMAS.enterprise, SCIM_SCHEMAS.startTermDates, SCIM_SCHEMAS.accountStatus, SCIM_SCHEMAS.authMethod],
    id: u.id,
    externalId: u.externalId,
    userName: u.email,
    active: u.active,
    name: { formatted: u.name, givenName: u.firstName, familyName: u.lastName },
    displayName: u.name,
    title: u.title,
    locale: u.locale,
    preferredLanguage: u.locale,
    timezone: u.timezone,
    emails: [{ value: u.email, type: 'work', primary: true }],
    [SCIM_SCHEMAS.enterprise]: {
      employeeNumber: u.employeeNumber,
      costCenter: u.costCenter,
      organization: u.organization,
      division: u.division,
      department: u.department,
      ...(manager ? { manager } : {}),
    },
    [SCIM_SCHEMAS.startTermDates]: { ...(u.startDate != null ? { startDate: u.startDate } : {}), ...(u.termDate != null ? { termDate: u.termDate } : {}) },
    [SCIM_SCHEMAS.accountStatus]: {
      invited: u.invited,
      ...(u.inviteTime != null ? { inviteDate: secs(u.inviteTime) } : {}),
      claimed: u.claimed,
      ...(u.claimTime != null ? { claimDate: secs(u.claimTime) } : {}),
    },
    [SCIM_SCHEMAS.authMethod]: { authMethod: u.authMethod },
    meta: { resourceType: 'User', lastModified: new Date(u.updatedTime).toISOString(), location: `${baseUrl}/scim/Users/${u.id}` },
  };
}

/** Applies one attribute (path relative to the resource, possibly URN-prefixed) to a user. */
function applyAttr(ctx: SimContext, u: SimUser, rawPath: string, value: unknown, op: string): void {
  const t = ctx.tenant;
  let schema: string = SCIM_SCHEMAS.core;
  let path = rawPath;
  for (const urn of Object.values(SCIM_SCHEMAS)) {
    if (rawPath.toLowerCase().startsWith(urn.toLowerCase() + ':')) {
      schema = urn;
      path = rawPath.slice(urn.length + 1);
    }
  }
  const remove = op === 'remove';
  const key = path.toLowerCase();
  const str = (v: unknown) => {
    if (typeof v !== 'string') throw new ScimError(400, `${rawPath} must be a string`, 'invalidValue');
    return v;
  };
  const num = (v: unknown) => {
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new ScimError(400, `${rawPath} must be a number (unix seconds)`, 'invalidValue');
    return n;
  };
  if (schema === SCIM_SCHEMAS.core) {
    switch (key) {
      case 'active': {
        const v = value === true || value === 'true' || value === 'True' ? true : value === false || value === 'false' || value === 'False' ? false : null;
        if (v === null) throw new ScimError(400, 'active must be a boolean', 'invalidValue');
        t.setActive(u, v);
        return;
      }
      case 'username':
        t.updateEmail(u, str(value));
        return;
      case 'externalid':
        u.externalId = remove ? '' : str(value);
        return;
      case 'title':
        u.title = remove ? '' : str(value);
        return;
      case 'locale':
      case 'preferredlanguage':
        u.locale = str(value);
        return;
      case 'timezone':
        u.timezone = str(value);
        return;
      case 'name.givenname':
        u.firstName = str(value);
        u.name = `${u.firstName} ${u.lastName}`;
        return;
      case 'name.familyname':
        u.lastName = str(value);
        u.name = `${u.firstName} ${u.lastName}`;
        return;
      case 'name.formatted':
      case 'displayname':
        u.name = str(value);
        return;
      case 'name': {
        const n = value as Json;
        if (n && typeof n === 'object') for (const [k, v] of Object.entries(n)) applyAttr(ctx, u, `name.${k}`, v, op);
        return;
      }
      case 'emails': {
        const list = value as { value?: string; primary?: boolean }[];
        const e = Array.isArray(list) ? (list.find((x) => x.primary) ?? list[0]) : undefined;
        if (e?.value) t.updateEmail(u, e.value);
        return;
      }
      case 'schemas':
      case 'id':
      case 'meta':
      case 'phonenumbers':
      case 'addresses':
      case 'photos':
        return; // accepted, not modelled
    }
  } else if (schema === SCIM_SCHEMAS.enterprise) {
    switch (key) {
      case 'department':
        u.department = remove ? '' : str(value);
        return;
      case 'division':
        u.division = remove ? '' : str(value);
        return;
      case 'organization':
        u.organization = remove ? '' : str(value);
        return;
      case 'costcenter':
        u.costCenter = remove ? '' : str(value);
        return;
      case 'employeenumber':
        u.employeeNumber = remove ? '' : str(value);
        return;
      case 'manager':
      case 'manager.managerid': {
        if (remove) {
          u.managerId = null;
          return;
        }
        const id = key === 'manager' ? (value as Json)?.managerId ?? (value as Json)?.value : value;
        u.managerId = id == null ? null : String(id);
        return;
      }
    }
  } else if (schema === SCIM_SCHEMAS.startTermDates) {
    if (key === 'startdate') return void (u.startDate = remove ? null : num(value));
    if (key === 'termdate') return void (u.termDate = remove ? null : num(value));
  } else if (schema === SCIM_SCHEMAS.authMethod) {
    if (key === 'authmethod') {
      if (value !== 'sso' && value !== 'password') throw new ScimError(400, 'authMethod must be "sso" or "password"', 'invalidValue');
      t.setAuthMethod(u, value);
      return;
    }
  } else if (schema === SCIM_SCHEMAS.accountStatus) {
    if (key === 'invited') return void (u.invited = Boolean(value));
    return; // claimed / dates are read-only
  }
  throw new ScimError(400, `unsupported attribute path ${rawPath}`, 'invalidPath');
}

/** Applies a (partial) resource body: top-level core attributes and extension objects. */
function applyResource(ctx: SimContext, u: SimUser, body: Json, op = 'replace'): void {
  for (const [k, v] of Object.entries(body)) {
    if (k === 'schemas' || k === 'id' || k === 'meta') continue;
    const urn = Object.values(SCIM_SCHEMAS).find((s) => s.toLowerCase() === k.toLowerCase());
    if (urn && urn !== SCIM_SCHEMAS.core) {
      if (v && typeof v === 'object') for (const [ek, ev] of Object.entries(v as Json)) applyAttr(ctx, u, `${urn}:${ek}`, ev, op);
      continue;
    }
    applyAttr(ctx, u, k, v, op);
  }
}

const FILTER = /^\s*(userName|externalId)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i;

export function createScimHandler(ctx: SimContext) {
  const t = ctx.tenant;
  const errorBody = (status: number, detail: string, scimType?: string) => ({
    schemas: [FACTS.scim.errorSchema.value],
    ...(scimType ? { scimType } : {}),
    detail,
    status: String(status),
  });
  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type('application/scim+json').send(body);

  return async function scim(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      const token = bearer(req, false);
      const tok = token ? ctx.tokens.get(token) : undefined;
      if (!tok || tok.kind !== 'graph' || tok.revoked) throw new ScimError(FACTS.scim.unauthorized.status, FACTS.scim.unauthorized.detail);
      if (!FACTS.graph.permissions.scim.anyOf.some((p) => tok.permissions.has(p))) throw new ScimError(FACTS.scim.forbidden.status, FACTS.scim.forbidden.detail);
      const url = new URL(req.url, 'http://x');
      const segs = url.pathname.replace(/^\/scim\/?/, '').split('/').filter(Boolean);
      if (segs[0] && /^v2$/i.test(segs[0])) segs.shift();
      const q = Object.fromEntries(url.searchParams);
      const [res, id, ...rest] = segs;
      if (rest.length) throw new ScimError(404, `no such endpoint ${url.pathname}`);
      const body = (req.body ?? {}) as Json;
      if (res === 'ServiceProviderConfigs' || res === 'ServiceProviderConfig') {
        return send(reply, 200, {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
          documentationUri: 'https://developers.facebook.com/docs/workplace/account-management/api',
          patch: { supported: true },
          bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
          filter: { supported: true, maxResults: FACTS.scim.maxCount.value },
          changePassword: { supported: false },
          sort: { supported: false },
          etag: { supported: false },
          authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Workplace custom integration access token', primary: true }],
        });
      }
      if (res === 'Schemas') {
        const defs = Object.entries(SCIM_SCHEMAS).map(([name, urn]) => ({ id: urn, name, schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'] }));
        return send(reply, 200, { schemas: [FACTS.scim.listSchema.value], totalResults: defs.length, itemsPerPage: defs.length, startIndex: 1, Resources: defs });
      }
      if (res !== 'Users') throw new ScimError(404, `no such endpoint ${url.pathname}`);
      const find = (uid: string) => {
        const u = t.userById(uid);
        if (!u) throw new ScimError(404, `User ${uid} not found`);
        return u;
      };
      if (!id) {
        if (req.method === 'GET') {
          let list: readonly SimUser[] = t.users;
          if (q.filter !== undefined) {
            const m = FILTER.exec(q.filter);
            if (!m) throw new ScimError(400, `unsupported filter ${q.filter}: only userName eq "..." and externalId eq "..." are supported`, 'invalidFilter');
            const val = m[2].replace(/\\(.)/g, '$1');
            list = m[1].toLowerCase() === 'username' ? list.filter((u) => u.email.toLowerCase() === val.toLowerCase()) : list.filter((u) => u.externalId === val);
          }
          const startIndex = Math.max(1, Math.floor(Number(q.startIndex ?? 1)) || 1);
          const countRaw = q.count === undefined ? FACTS.scim.defaultCount.value : Math.floor(Number(q.count));
          const count = Math.min(Math.max(0, Number.isFinite(countRaw) ? countRaw : FACTS.scim.defaultCount.value), FACTS.scim.maxCount.value);
          const slice = list.slice(startIndex - 1, startIndex - 1 + count);
          return send(reply, 200, {
            schemas: [FACTS.scim.listSchema.value],
            totalResults: list.length,
            itemsPerPage: slice.length,
            startIndex,
            Resources: slice.map((u) => scimUser(u, ctx.baseUrl)),
          });
        }
        if (req.method === 'POST') {
          const userName = body.userName;
          if (typeof userName !== 'string' || !userName.includes('@')) throw new ScimError(400, 'userName (an email address) is required', 'invalidValue');
          if (t.userByEmail(userName)) throw new ScimError(409, `userName ${userName} already exists`, 'uniqueness');
          const u = t.createUser({ email: userName });
          applyResource(ctx, u, body);
          return send(reply, 201, scimUser(u, ctx.baseUrl));
        }
        throw new ScimError(405, `${req.method} not supported on /Users`);
      }
      const u = find(id);
      switch (req.method) {
        case 'GET':
          return send(reply, 200, scimUser(u, ctx.baseUrl));
        case 'PUT':
          applyResource(ctx, u, body);
          u.updatedTime = ctx.clock.now();
          return send(reply, 200, scimUser(u, ctx.baseUrl));
        case 'PATCH': {
          const schemas = body.schemas;
          if (!Array.isArray(schemas) || !schemas.includes(FACTS.scim.patchSchema.value)) throw new ScimError(400, `PATCH body must have schemas [${FACTS.scim.patchSchema.value}]`, 'invalidSyntax');
          const ops = body.Operations;
          if (!Array.isArray(ops) || ops.length === 0) throw new ScimError(400, 'Operations is required', 'invalidSyntax');
          for (const o of ops as Json[]) {
            const op = String(o.op ?? '').toLowerCase();
            if (!['add', 'replace', 'remove'].includes(op)) throw new ScimError(400, `unsupported op ${String(o.op)}`, 'invalidSyntax');
            if (typeof o.path === 'string' && o.path) applyAttr(ctx, u, o.path, o.value, op);
            else if (o.value && typeof o.value === 'object') applyResource(ctx, u, o.value as Json, op);
            else throw new ScimError(400, 'operation needs a path or an object value', 'noTarget');
          }
          u.updatedTime = ctx.clock.now();
          return send(reply, 200, scimUser(u, ctx.baseUrl));
        }
        case 'DELETE':
          if (!t.deleteUser(u)) throw new ScimError(FACTS.scim.deleteClaimedStatus.value, FACTS.scim.deleteClaimedDetail.value);
          return reply.code(204).send();
        default:
          throw new ScimError(405, `${req.method} not supported`);
      }
    } catch (err) {
      if (err instanceof ScimError) return send(reply, err.status, errorBody(err.status, err.message, err.scimType));
      throw err;
    }
  };
}
