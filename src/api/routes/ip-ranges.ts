/**
 * @module api/routes/ip-ranges
 * The organisation's IP ranges: those of the config file (read-only here) and those managed through the API
 * (stored). Overlaps are refused with 409 (validateIpRanges, the same check as the config); every change is
 * applied to the live enricher at once.
 */
import { z } from 'zod';
import { IpRangeConfigSchema } from '../../config/schema.ts';
import { RampartError } from '../../core/errors.ts';
import { validateIpRanges, type IpRange as EnrichIpRange } from '../../enrich/index.ts';
import type { IpRange } from '../../store/store.ts';
import type { ApiContext } from '../context.ts';
import { route } from '../route.ts';
import { fromStoredRange } from '../../enrich/ip-ranges.ts';

const RangeViewSchema = IpRangeConfigSchema.extend({ source: z.enum(['config', 'api']) });
const NameParams = z.object({ name: z.string().min(1).max(128) });

const toEnrich = (r: IpRange): EnrichIpRange => fromStoredRange(r);
const toView = (r: IpRange | EnrichIpRange, source: 'config' | 'api') => ({ ...toEnrich(r as IpRange), tags: r.tags ?? [], source });

export function ipRangeRoutes(ctx: ApiContext) {
  const all = async () => {
    const config = ctx.config.ipRanges as EnrichIpRange[];
    const stored = (await ctx.store.listIpRanges()).filter((r) => !config.some((c) => c.name === r.name));
    return { config, stored };
  };

  /** Validates the full set with the candidate, writes it, and hands the set to the enricher. */
  const save = (name: string, candidate: IpRange | null) =>
    ctx.locks.run('ip-ranges', async () => {
      const { config, stored } = await all();
      if (config.some((c) => c.name === name)) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`name: range ${name} is defined in the config file; change it there`]);
      const others = stored.filter((r) => r.name !== name);
      if (!candidate && others.length === stored.length) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['IP range', name]);
      const next = candidate ? [...others, candidate] : others;
      const set = [...config, ...next.map(toEnrich)];
      const problems = validateIpRanges(set);
      // Report a problem of the candidate first (an overlap names it), then any other.
      const mine = problems.find((p) => candidate && String(p.args[0]) === candidate.name) ?? problems[0];
      if (mine) throw mine;
      if (candidate) await ctx.store.putIpRange(candidate);
      else await ctx.store.deleteIpRange(name);
      ctx.enricher.setIpRanges(set);
      return candidate;
    });

  const fromBody = (b: z.output<typeof IpRangeConfigSchema>): IpRange => ({
    name: b.name,
    category: b.category,
    subnets: b.subnets,
    tags: b.tags,
    location: b.location ? { country: b.location.country ?? null, city: b.location.city ?? null, lat: b.location.lat ?? null, lon: b.location.lon ?? null } : null,
    isp: b.isp ?? null,
  });

  return [
    route({
      method: 'GET',
      url: '/api/ip-ranges',
      access: 'viewer',
      tag: 'ip-ranges',
      summary: 'Every IP range: from the config file (read-only) and managed through the API',
      response: z.object({ items: z.array(RangeViewSchema) }),
      handler: async () => {
        const { config, stored } = await all();
        return { items: [...config.map((r) => toView(r, 'config')), ...stored.map((r) => toView(r, 'api'))] };
      },
    }),
    route({
      method: 'POST',
      url: '/api/ip-ranges',
      access: 'admin',
      tag: 'ip-ranges',
      summary: 'Create an IP range (409 when its subnets overlap another range or the name exists)',
      body: IpRangeConfigSchema,
      status: 201,
      response: RangeViewSchema,
      handler: async ({ body, audit }) => {
        audit('ip_range.create', body.name, { category: body.category, subnets: body.subnets });
        if ((await ctx.store.listIpRanges()).some((r) => r.name === body.name)) throw new RampartError('RAMPART_ERR_API_CONFLICT', ['IP range', body.name]);
        const r = await save(body.name, fromBody(body));
        return toView(r!, 'api');
      },
    }),
    route({
      method: 'PUT',
      url: '/api/ip-ranges/:name',
      access: 'admin',
      tag: 'ip-ranges',
      summary: 'Create or replace an IP range (409 on overlap)',
      params: NameParams,
      body: IpRangeConfigSchema.omit({ name: true }),
      response: RangeViewSchema,
      handler: async ({ params, body, audit }) => {
        audit('ip_range.put', params.name, { category: body.category, subnets: body.subnets });
        const r = await save(params.name, fromBody({ ...body, name: params.name }));
        return toView(r!, 'api');
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/ip-ranges/:name',
      access: 'admin',
      tag: 'ip-ranges',
      summary: 'Delete an API-managed IP range',
      params: NameParams,
      response: z.object({ deleted: z.string() }),
      handler: async ({ params, audit }) => {
        audit('ip_range.delete', params.name);
        await save(params.name, null);
        return { deleted: params.name };
      },
    }),
  ];
}
