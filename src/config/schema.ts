/**
 * @module config/schema
 * The one strict zod schema of the config file: the source of the types, the defaults and the JSON Schema
 * printed by `rampart config schema`. Unknown keys are rejected. Units are in the key names.
 * Each area owns its sub-schema (detections, connectors) and joins here.
 */
import { z } from 'zod';
import { DetectionsConfigSchema } from '../detect/config.ts';
import { WorkplaceConfigSchema } from '../connectors/workplace/config.ts';
import { SecretRefSchema } from './secret.ts';
import { hasControls } from '../core/text.ts';
import { validateIpRanges } from '../enrich/ip-ranges.ts';
import { feedName } from '../enrich/feeds.ts';
import { ALERTS_CONFIG_DEFAULT, AlertsConfigSchema } from '../deliver/config.ts';
import { GovernanceConfigSchema, GOVERNANCE_DEFAULTS } from '../actions/config.ts';
import { ProxyConfigSchema } from '../proxy/config.ts';
import { PostureConfigSchema, POSTURE_DEFAULTS } from '../posture/config.ts';

/**
 * Text shown to people and written to logs, alerts and CEF (range names, tags): no control characters (NUL, line
 * breaks that would forge log lines) and no lone surrogates (not encodable as UTF-8).
 */
const label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !hasControls(s) && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s), {
      message: 'control characters and lone surrogates are not allowed',
    });

export const IpRangeConfigSchema = z
  .object({
    name: label(128),
    category: z.enum(['corporate', 'administrative', 'risky', 'vpn', 'cloud_provider', 'other']),
    subnets: z.array(z.string().min(1).max(64)).min(1).max(10_000),
    tags: z.array(label(128)).default([]),
    location: z
      .object({
        country: z.string().length(2).optional(),
        city: z.string().optional(),
        lat: z.number().min(-90).max(90).optional(),
        lon: z.number().min(-180).max(180).optional(),
      })
      .strict()
      .optional(),
    isp: z.string().max(256).optional(),
  })
  .strict();

export const FEED_KINDS = ['tor_exit', 'anonymizer', 'threat_intel', 'cloud_provider'] as const;

export const FeedConfigSchema = z
  .object({
    kind: z.enum(FEED_KINDS),
    name: z.string().min(1).max(128).optional(),
    path: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Where a URL feed is cached on disk (default: data/feeds/<name>.txt). */
    cachePath: z.string().optional(),
    refreshSecs: z.number().int().min(60).default(86_400),
    maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
    /** Download timeout of a URL feed. */
    timeoutSecs: z.number().int().min(1).max(600).default(30),
  })
  .strict()
  .refine((f) => Boolean(f.path) !== Boolean(f.url), { message: 'a feed needs exactly one of path or url' });

export const StoreConfigSchema = z.discriminatedUnion('driver', [
  z
    .object({
      driver: z.literal('sqlite'),
      path: z.string().min(1).default('./data/rampart.db'),
      /** `worker`: activity batches are written on a separate thread, so a large commit never blocks HTTP (default inline). */
      writer: z.enum(['inline', 'worker']).optional(),
      /** `thread` (default): WAL checkpoints on a thread of their own, so writes never stop for the copy back; `writer`: SQLite's default. */
      checkpoints: z.enum(['thread', 'writer']).optional(),
    })
    .strict(),
  z
    .object({
      driver: z.literal('postgres'),
      url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
      /** Password kept out of the URL and the config file. */
      password: SecretRefSchema.optional(),
      poolSize: z.number().int().min(1).max(100).default(10),
    })
    .strict(),
]);

export const ConfigSchema = z
  .object({
    store: StoreConfigSchema.default({ driver: 'sqlite', path: './data/rampart.db' }),
    retentionDays: z.number().int().min(1).max(36_500).default(180),
    /** Audit trail, governance log and alert delivery records are kept this long after their last update. */
    logRetentionDays: z.number().int().min(1).max(36_500).default(365),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8080),
        maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
        tls: z.object({ certFile: z.string(), keyFile: z.string() }).strict().optional(),
        /** Bearer token for GET /metrics; without it only loopback clients may read the metrics. */
        metricsToken: SecretRefSchema.optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, maxBodyBytes: 1024 * 1024 }),
    /** The REST API and its sign-in security (docs/api.md). */
    api: z
      .object({
        /** Absolute lifetime of a sign-in session. */
        sessionTtlSecs: z.number().int().min(60).max(30 * 86_400).default(8 * 3600),
        /** Failed sign-ins in a row before the account locks. */
        lockoutThreshold: z.number().int().min(1).max(100).default(5),
        lockoutSecs: z.number().int().min(1).max(86_400).default(900),
        /** Sign-in attempts per client address per minute. */
        loginAttemptsPerMinute: z.number().int().min(1).max(10_000).default(10),
        /** Largest JSON body an API route accepts. */
        maxBodyBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
        /** Origins the console is reached at besides this server's own (e.g. `https://rampart.acme.example` behind a TLS proxy). */
        allowedOrigins: z.array(z.url({ protocol: /^https?$/ }).max(512)).max(20).default([]),
      })
      .strict()
      .default({ sessionTtlSecs: 8 * 3600, lockoutThreshold: 5, lockoutSecs: 900, loginAttemptsPerMinute: 10, maxBodyBytes: 256 * 1024, allowedOrigins: [] }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
    // Checked here as well as where the enricher compiles them, so `config validate` lists overlaps and bad
    // subnets with their line instead of passing a file that `serve` and `scan` then refuse.
    ipRanges: z
      .array(IpRangeConfigSchema)
      .default([])
      .superRefine((ranges, ctx) => {
        for (const e of validateIpRanges(ranges)) {
          const at = ranges.findIndex((r) => r.name === e.args[0]); // both codes name the range first
          ctx.addIssue({ code: 'custom', path: at >= 0 ? [at, 'subnets'] : [], message: `${e.code}: ${e.message}` });
        }
      }),
    // A feed's name names its cache file and its metrics: two feeds with one name overwrote each other's list.
    feeds: z
      .array(FeedConfigSchema)
      .default([])
      .superRefine((feeds, ctx) => {
        const seen = new Map<string, number>();
        feeds.forEach((f, i) => {
          const name = feedName(f);
          const first = seen.get(name);
          if (first === undefined) seen.set(name, i);
          else ctx.addIssue({ code: 'custom', path: f.name ? [i, 'name'] : [i], message: `feed name "${name}" is also the name of feeds[${first}]; give each feed its own name` });
        });
      }),
    enrich: z
      .object({
        /** MaxMind-format city databases, one per IP family (default: the bundled DB-IP Lite files). */
        geoDbIpv4Path: z.string().optional(),
        geoDbIpv6Path: z.string().optional(),
        /** ASN CSV (start,end,asn,org), one per IP family (default: @ip-location-db/asn). */
        asnCsvIpv4Path: z.string().optional(),
        asnCsvIpv6Path: z.string().optional(),
        /** Built-in curated Tor/VPN/hosting lists in the repo. */
        builtinIntel: z.boolean().default(true),
        cacheEntries: z.number().int().min(0).default(100_000),
      })
      .strict()
      .default({ builtinIntel: true, cacheEntries: 100_000 }),
    scan: z
      .object({
        maxLineBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
        /** Events held in memory before the on-disk sort takes over. */
        sortMemoryEvents: z.number().int().min(1000).default(500_000),
        /** Bytes of held events (input lines, or activity JSON) before the on-disk sort takes over. */
        sortMemoryBytes: z.number().int().min(1024 * 1024).max(16 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
      })
      .strict()
      .default({ maxLineBytes: 1024 * 1024, sortMemoryEvents: 500_000, sortMemoryBytes: 256 * 1024 * 1024 }),
    detections: DetectionsConfigSchema,
    /** The organisation itself: its email domains decide who is an external user (policy field user.external). */
    organization: z
      .object({ domains: z.array(z.string().min(1).max(253).regex(/^[A-Za-z0-9.-]+$/, 'a domain name')).max(1000).default([]) })
      .strict()
      .default({ domains: [] }),
    policies: z
      .object({
        directory: z.string().default('./policies'),
        /** Automatic disable of runaway policies (MDCA: 200,000 matches per day or 100,000 per 3 hours). */
        autoDisableMatchesPerDay: z.number().int().min(1).default(200_000),
        autoDisableMatchesPer3Hours: z.number().int().min(1).default(100_000),
      })
      .strict()
      .default({ directory: './policies', autoDisableMatchesPerDay: 200_000, autoDisableMatchesPer3Hours: 100_000 }),
    /** Alert delivery: email, webhook and syslog destinations and the routes to them (docs/alert-delivery.md). */
    alerts: AlertsConfigSchema.default(ALERTS_CONFIG_DEFAULT),
    /** Real-time session control: the reverse proxy in front of protected apps (docs/session-control.md). */
    proxy: ProxyConfigSchema.optional(),
    connectors: z
      .object({ workplace: WorkplaceConfigSchema.optional() })
      .strict()
      .default({}),
    governance: GovernanceConfigSchema.default(GOVERNANCE_DEFAULTS),
    /** Security posture checks and score (docs/posture.md). */
    posture: PostureConfigSchema.default(POSTURE_DEFAULTS),
    demo: z
      .object({
        enabled: z.boolean().default(true),
        users: z.number().int().min(1).max(100_000).default(300),
        eventsPerSec: z.number().min(0.1).max(10_000).default(20),
        attackEverySecs: z.number().int().min(10).default(180),
        /** Days of past traffic sent first, so the learning period is over when the live stream starts. */
        historyDays: z.number().int().min(0).max(60).default(10),
        seed: z.number().int().default(42),
      })
      .strict()
      .default({ enabled: true, users: 300, eventsPerSec: 20, attackEverySecs: 180, historyDays: 10, seed: 42 }),
  })
  .strict();

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type FeedConfig = z.output<typeof FeedConfigSchema>;
export type IpRangeConfig = z.output<typeof IpRangeConfigSchema>;

export const configJsonSchema = (): unknown => z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
