/**
 * @module deliver/config
 * The `alerts` section of the config file: where alerts go (destinations) and which alerts go where (routes).
 * Secrets (SMTP password, webhook signing key) are SecretRefs, never literal values.
 */
import { z } from 'zod';
import { SecretRefSchema } from '../config/secret.ts';
import { SEVERITIES } from '../schema/alert.ts';

/** Destination names become metric labels and delivery-log fields: short and plain. */
const DestinationName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lowercase letters, digits, "_", "-" or ".", at most 64 characters');

/** Documented MDCA limit: "A maximum of 500 messages can be sent per email address per day". */
export const EMAIL_DAILY_LIMIT_MAX = 500;

export const EmailDestinationSchema = z
  .object({
    name: DestinationName,
    type: z.literal('email'),
    /** Recipients of every alert routed to this destination. */
    to: z.array(z.email()).min(1).max(100),
    from: z.email(),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65_535).default(587),
        /** true: implicit TLS from the first byte (port 465). false: plain, upgraded by STARTTLS when offered. */
        secure: z.boolean().default(false),
        /** Refuse to send unless the server offers STARTTLS (only meaningful with secure: false). */
        requireTls: z.boolean().default(true),
        user: z.string().min(1).optional(),
        password: SecretRefSchema.optional(),
        /** PEM file of a private CA for the SMTP server's certificate. */
        caFile: z.string().min(1).optional(),
        rejectUnauthorized: z.boolean().default(true),
        timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
      })
      .strict()
      .refine((s) => !s.password || s.user, { message: 'smtp.password needs smtp.user' }),
    subjectPrefix: z.string().max(64).default('[Rampart]'),
    /** Messages per recipient address per UTC day; never above the documented 500. */
    dailyLimitPerAddress: z.number().int().min(1).max(EMAIL_DAILY_LIMIT_MAX).default(EMAIL_DAILY_LIMIT_MAX),
  })
  .strict();

export const WebhookDestinationSchema = z
  .object({
    name: DestinationName,
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** For URLs that embed a token (chat incoming webhooks): the URL itself read from an env var or file. */
    urlSecret: SecretRefSchema.optional(),
    /** HMAC-SHA256 key for X-Rampart-Signature. */
    secret: SecretRefSchema,
    /** Body: Rampart's own alert JSON, or the alert as an OCSF Detection Finding (class 2004). */
    format: z.enum(['rampart', 'ocsf']).default('rampart'),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /** Extra static headers (e.g. a routing key); never put credentials here, they would sit in the config file. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string().max(1024)).default({}),
  })
  .strict()
  .refine((d) => Boolean(d.url) !== Boolean(d.urlSecret), { message: 'a webhook needs exactly one of url or urlSecret', path: ['url'] });

export const SYSLOG_FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10,
  ftp: 11, ntp: 12, security: 13, console: 14, solaris_cron: 15, local0: 16, local1: 17, local2: 18, local3: 19,
  local4: 20, local5: 21, local6: 22, local7: 23,
} as const;

export const SyslogDestinationSchema = z
  .object({
    name: DestinationName,
    type: z.literal('syslog'),
    transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
    host: z.string().min(1),
    /** Default 514 for udp/tcp and 6514 for tls (RFC 5425). */
    port: z.number().int().min(1).max(65_535).optional(),
    facility: z.enum(Object.keys(SYSLOG_FACILITIES) as [keyof typeof SYSLOG_FACILITIES]).default('authpriv'),
    /** HOSTNAME field; default: os.hostname(). */
    hostname: z.string().min(1).max(255).optional(),
    appName: z.string().min(1).max(48).default('rampart'),
    /** Larger messages are truncated (CEF extension cut at a field boundary). UDP default keeps one datagram. */
    maxMessageBytes: z.number().int().min(480).max(1_048_576).optional(),
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        rejectUnauthorized: z.boolean().default(true),
        servername: z.string().optional(),
      })
      .strict()
      .default({ rejectUnauthorized: true }),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  })
  .strict()
  .refine((d) => d.transport !== 'udp' || (d.maxMessageBytes ?? 0) <= 65_507, {
    message: 'a UDP datagram holds at most 65507 bytes',
    path: ['maxMessageBytes'],
  });

export const DestinationSchema = z.discriminatedUnion('type', [
  EmailDestinationSchema,
  WebhookDestinationSchema,
  SyslogDestinationSchema,
]);

export const RouteSchema = z
  .object({
    /** Detection ids, `policy:<name>`, a prefix pattern ending in `*` (`policy:*`), or '*' for every alert. */
    detections: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]),
    minSeverity: z.enum(SEVERITIES).default('low'),
    destinations: z.array(DestinationName).min(1),
  })
  .strict();

export const AlertsConfigSchema = z
  .object({
    /** Links in emails, webhooks, syslog and OCSF point at `<consoleBaseUrl>/alerts/<id>`. */
    consoleBaseUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8080'),
    destinations: z.array(DestinationSchema).default([]),
    routes: z.array(RouteSchema).default([]),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(5),
        baseDelayMs: z.number().int().min(1).max(600_000).default(1_000),
        maxDelayMs: z.number().int().min(1).max(3_600_000).default(300_000),
      })
      .strict()
      .default({ maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 300_000 }),
    /** Alerts waiting per destination; beyond it new alerts are dropped, counted, logged and recorded. */
    queueSize: z.number().int().min(1).max(1_000_000).default(1_000),
    /**
     * The email destination (its SMTP server and from address) that sends a policy's alerts to the extra
     * recipients the policy names (`alerts.emailTo`). Default: the first email destination.
     */
    policyRecipientsVia: DestinationName.optional(),
    /** Deliver updates of an already-delivered alert (dedup repeats) too, not only the first raise. */
    deliverUpdates: z.boolean().default(false),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.destinations.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'name'], message: `duplicate destination name ${d.name}` });
      names.add(d.name);
    });
    if (cfg.policyRecipientsVia && !cfg.destinations.some((d) => d.name === cfg.policyRecipientsVia && d.type === 'email')) {
      ctx.addIssue({ code: 'custom', path: ['policyRecipientsVia'], message: `${cfg.policyRecipientsVia} is not an email destination` });
    }
    cfg.routes.forEach((r, i) =>
      r.destinations.forEach((n, j) => {
        if (!names.has(n)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'destinations', j], message: `unknown destination ${n}` });
      }),
    );
  });

export const ALERTS_CONFIG_DEFAULT = {
  consoleBaseUrl: 'http://127.0.0.1:8080',
  destinations: [],
  routes: [],
  retry: { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 300_000 },
  queueSize: 1_000,
  deliverUpdates: false,
};

export type AlertsConfig = z.output<typeof AlertsConfigSchema>;
export type DestinationConfig = z.output<typeof DestinationSchema>;
export type EmailDestinationConfig = z.output<typeof EmailDestinationSchema>;
export type WebhookDestinationConfig = z.output<typeof WebhookDestinationSchema>;
export type SyslogDestinationConfig = z.output<typeof SyslogDestinationSchema>;
export type RouteConfig = z.output<typeof RouteSchema>;
