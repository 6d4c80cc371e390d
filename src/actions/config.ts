/**
 * @module actions/config
 * `governance`: which alerts trigger which actions, through which provider, with which safety rails.
 * Secrets (tokens, client secrets, SMTP password) are SecretRefs: env var or file, never inline.
 */
import { z } from 'zod';
import { SecretRefSchema } from '../config/secret.ts';
import { SEVERITIES } from '../schema/alert.ts';
import { PROVIDER_NAMES } from './provider.ts';

const url = () => z.url({ protocol: /^https?$/ });

/** Actions a rule may trigger automatically (unsuspend is only a revert or a manual action). */
export const AUTO_ACTIONS = ['notify_user', 'require_sign_in', 'suspend_user'] as const;

export const GovernanceRuleSchema = z
  .object({
    name: z.string().min(1).max(128).optional(),
    /** Built-in detection ids and/or `policy:<name>`, or '*' for every alert. */
    detections: z.union([z.literal('*'), z.array(z.string().min(1).max(128)).min(1)]),
    /** Apps the rule applies to, or '*' for all apps. */
    apps: z.union([z.literal('*'), z.array(z.string().min(1).max(64)).min(1)]).default('*'),
    /** Only alerts at or above this severity. */
    minSeverity: z.enum(SEVERITIES).default('informational'),
    actions: z.array(z.enum(AUTO_ACTIONS)).min(1),
    /** Account provider for this rule (default: governance.defaultProvider). */
    provider: z.enum(PROVIDER_NAMES).optional(),
  })
  .strict();

export const WorkplaceProviderSchema = z
  .object({
    graphUrl: url().default('https://graph.workplace.com'),
    scimUrl: url().default('https://scim.workplace.com'),
    /** Integration token with the "Manage accounts" permission. */
    accessToken: SecretRefSchema,
    /** When the integration has "App secret proof" on. */
    appSecret: SecretRefSchema.optional(),
    /** Deactivate through SCIM `PATCH /Users/{id}` (default) or Graph `POST /{id}?active=false`. */
    suspendVia: z.enum(['scim', 'graph']).default('scim'),
  })
  .strict();

export const EntraProviderSchema = z
  .object({
    tenantId: z.string().min(1).max(128),
    clientId: z.string().min(1).max(128),
    clientSecret: SecretRefSchema,
    authorityUrl: url().default('https://login.microsoftonline.com'),
    graphUrl: url().default('https://graph.microsoft.com/v1.0'),
  })
  .strict();

export const OktaProviderSchema = z
  .object({
    /** e.g. https://acme.okta.com */
    orgUrl: url(),
    /** API token (SSWS) of an admin with okta.users.manage. */
    apiToken: SecretRefSchema,
  })
  .strict();

export const SmtpConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS when offered. */
    secure: z.boolean().default(false),
    requireTls: z.boolean().default(false),
    user: z.string().optional(),
    password: SecretRefSchema.optional(),
    from: z.string().min(3).max(320),
    timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  })
  .strict();

export const NotifyConfigSchema = z
  .object({
    /** Plain text; tokens {user} {app} {reason} {alert.title} {alert.description} {alert.time} {alert.severity}. */
    subject: z.string().max(300).default('Security alert on your {app} account'),
    title: z.string().max(300).default('We noticed unusual activity on your account'),
    content: z
      .string()
      .max(10_000)
      .default('Rampart raised "{alert.title}" for your {app} account ({user}) at {alert.time}.\n{alert.description}\nIf this was not you, contact your IT security team right away.'),
    logoUrl: url().optional(),
    htmlTemplatePath: z.string().optional(),
    textTemplatePath: z.string().optional(),
    /** CC the user's manager (DirectoryUser.managerId -> manager email). */
    ccManager: z.boolean().default(false),
    additionalRecipients: z.array(z.email()).max(50).default([]),
  })
  .strict();

export const RetryConfigSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20).default(5),
    baseDelayMs: z.number().int().min(1).max(60_000).default(500),
    maxDelayMs: z.number().int().min(1).max(600_000).default(30_000),
    maxRetryAfterMs: z.number().int().min(0).max(3_600_000).default(120_000),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict();

const NOTIFY_DEFAULTS = NotifyConfigSchema.parse({});
const RETRY_DEFAULTS = RetryConfigSchema.parse({});

export const GovernanceConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Log what would happen, act on nothing. */
    dryRun: z.boolean().default(false),
    /** Emails or user ids (case-insensitive) never suspended automatically: break-glass admins. */
    protectedAccounts: z.array(z.string().min(1).max(320)).max(1000).default([]),
    /** Automatic suspensions wait for `rampart act approve <id>`. */
    requireApproval: z.boolean().default(false),
    /** Above this many automatic suspensions in a rolling hour, further ones wait for approval and an alert is raised. */
    maxAutoSuspensionsPerHour: z.number().int().min(0).max(100_000).default(10),
    defaultProvider: z.enum(PROVIDER_NAMES).default('workplace'),
    rules: z.array(GovernanceRuleSchema).max(500).default([]),
    providers: z
      .object({
        workplace: WorkplaceProviderSchema.optional(),
        entra: EntraProviderSchema.optional(),
        okta: OktaProviderSchema.optional(),
      })
      .strict()
      .default({}),
    smtp: SmtpConfigSchema.optional(),
    notify: NotifyConfigSchema.default(NOTIFY_DEFAULTS),
    retry: RetryConfigSchema.default(RETRY_DEFAULTS),
    /** How long an executing instance holds a pending action before another may resume it. */
    leaseSecs: z.number().int().min(5).max(3600).default(60),
  })
  .strict();

export type GovernanceConfig = z.output<typeof GovernanceConfigSchema>;
export type GovernanceConfigInput = z.input<typeof GovernanceConfigSchema>;
export type GovernanceRule = z.output<typeof GovernanceRuleSchema>;
export type NotifyConfig = z.output<typeof NotifyConfigSchema>;
export type SmtpConfig = z.output<typeof SmtpConfigSchema>;
export type WorkplaceProviderConfig = z.output<typeof WorkplaceProviderSchema>;
export type EntraProviderConfig = z.output<typeof EntraProviderSchema>;
export type OktaProviderConfig = z.output<typeof OktaProviderSchema>;
export type RetryConfig = z.output<typeof RetryConfigSchema>;

export const GOVERNANCE_DEFAULTS: GovernanceConfig = GovernanceConfigSchema.parse({});
