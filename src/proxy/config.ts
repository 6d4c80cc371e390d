/**
 * @module proxy/config
 * The `proxy:` config key: where the session proxy listens, which apps it fronts (one upstream each), how it
 * learns the user and the device, where session policies live, and the inspection and protection limits.
 * docs/session-control.md explains each key.
 */
import { z } from 'zod';
import { isAbsolute, resolve } from 'node:path';
import { SecretRefSchema } from '../config/secret.ts';

export const DEFAULT_BLOCK_MESSAGE =
  'Access to this content was blocked by your organization’s security policy. Contact your IT administrator if you need it.';

export const ProxyAppSchema = z
  .object({
    /** The name the proxy uses in logs and activities' tenant. */
    name: z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
    /** The Activity `app` value (default workplace). */
    app: z.string().min(1).max(64).default('workplace'),
    /** Public host name users reach this app on through the proxy (the Host header); omitted: the only/default app. */
    host: z.string().min(1).max(253).optional(),
    /** The real app, e.g. https://acme.workplace.com or the simulator's URL. */
    upstream: z.url({ protocol: /^https?$/ }),
    /** How requests map to activities and how the session resolves to a user: see proxy/adapters.ts. */
    adapter: z.enum(['workplace-web', 'generic']).default('workplace-web'),
    /** The app's session cookie, sent to its who-am-I endpoint to learn the user. */
    sessionCookie: z.string().min(1).max(128).default('wp_session'),
    /** The app's own "who am I" endpoint (JSON with `email`, optional `id`, `name`). */
    whoAmIPath: z.string().startsWith('/').default('/web/api/me'),
    identityCacheSecs: z.number().int().min(0).max(86_400).default(60),
    /** Accept the upstream's TLS certificate even when it does not verify (a lab upstream only). */
    upstreamInsecureTls: z.boolean().default(false),
  })
  .strict();

const SignedHeaderSchema = z
  .object({
    header: z.string().min(1).max(128).regex(/^[A-Za-z0-9-]+$/),
    /** HMAC-SHA256 key shared with the SSO gateway / device-trust system. */
    secret: SecretRefSchema,
    /** Largest accepted age of a signed assertion (its `exp` is checked too). */
    maxAgeSecs: z.number().int().min(1).max(86_400).default(300),
  })
  .strict();

export const ProxyConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8443),
    /** Server certificate: with it the proxy speaks TLS, HTTP/2 and HTTP/1.1; without it plain HTTP/1.1 (lab only). */
    tls: z
      .object({
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
        /** Organisation CA bundle (PEM) for client certificates: a verified one tags the device "Valid client certificate". */
        clientCaFile: z.string().min(1).optional(),
        /** CRLs (PEM) of that CA; a revoked certificate does not verify. */
        crlFiles: z.array(z.string().min(1)).max(64).default([]),
      })
      .strict()
      .optional(),
    apps: z.array(ProxyAppSchema).min(1).max(64),
    /** Trusted identity asserted by an upstream SSO gateway (see signed-header.ts for the format). */
    identityHeader: SignedHeaderSchema.optional(),
    /** Device compliance asserted by a device-trust system: carries device tags. */
    deviceHeader: SignedHeaderSchema.optional(),
    /** Email domains of the organisation; users outside them are external. Default: config `organization.domains`. */
    organizationDomains: z.array(z.string().min(1).max(253)).max(1000).optional(),
    /** Folder of session policy YAML files (watched: changes apply without a restart). */
    policiesDirectory: z.string().default('./session-policies'),
    blockMessage: z.string().min(1).max(4000).default(DEFAULT_BLOCK_MESSAGE),
    /** Banner text injected at the top of HTML pages; empty string: no banner. */
    monitorNotice: z.string().max(400).default('Your activity in this app is monitored by your organization.'),
    inspection: z
      .object({
        /** Largest body held for inspection; larger files follow the policy's `cannotInspect`. */
        maxBytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(16 * 1024 * 1024),
        /** Largest upload body accepted when an upload policy needs to look inside it. */
        maxUploadBytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(32 * 1024 * 1024),
      })
      .strict()
      .default({ maxBytes: 16 * 1024 * 1024, maxUploadBytes: 32 * 1024 * 1024 }),
    /** Protect (encrypt-on-download): the password of the AES-256 ZIP is emailed to the user. */
    protect: z
      .object({
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65_535).default(587),
            secure: z.boolean().default(false),
            user: z.string().optional(),
            password: SecretRefSchema.optional(),
            /** Accept an SMTP server certificate that does not verify (lab only). */
            insecureTls: z.boolean().default(false),
          })
          .strict(),
        from: z.string().min(3).max(320),
        /** Largest file that is wrapped; larger ones are blocked (they cannot be protected). */
        maxBytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(64 * 1024 * 1024),
      })
      .strict()
      .optional(),
    /**
     * Load balancers in front of the proxy that append to X-Forwarded-For: the client IP is taken that many
     * entries from the right. 0: the TCP peer is the client.
     */
    trustedProxyHops: z.number().int().min(0).max(10).default(0),
    /** Upstream request timeout (headers). */
    upstreamTimeoutSecs: z.number().int().min(1).max(600).default(30),
    /** Record page views of static assets (scripts, styles, images) too; off keeps the log to what people do. */
    recordAssets: z.boolean().default(false),
  })
  .strict();

export type ProxyConfig = z.output<typeof ProxyConfigSchema>;
export type ProxyConfigInput = z.input<typeof ProxyConfigSchema>;
export type ProxyApp = z.output<typeof ProxyAppSchema>;

/** Resolves the config's relative file paths against the config file's folder. */
export function resolveProxyPaths(c: ProxyConfig, baseDir: string): ProxyConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...c,
    policiesDirectory: abs(c.policiesDirectory),
    tls: c.tls
      ? { ...c.tls, certFile: abs(c.tls.certFile), keyFile: abs(c.tls.keyFile), clientCaFile: c.tls.clientCaFile ? abs(c.tls.clientCaFile) : undefined, crlFiles: c.tls.crlFiles.map(abs) }
      : undefined,
  };
}
