/**
 * @module api/server
 * The HTTP server of `rampart serve` (Fastify): health, metrics, connector webhooks and, later, the API and
 * console. Every error leaves as `{ code, message }` with the catalogue's status; unknown routes are 404.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readSecret } from '../config/secret.ts';
import { RampartError, isRampartError } from '../core/errors.ts';
import { securityHeaders } from './auth/guard.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Config } from '../config/schema.ts';

export interface HttpServerOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Answers whether the service is ready (store open, connectors started). */
  ready: () => boolean;
}

export function createHttpServer(o: HttpServerOptions): FastifyInstance {
  const tls = o.config.server.tls;
  const app = Fastify({
    loggerInstance: o.logger,
    // One log line per request would drown the log at webhook rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.config.server.maxBodyBytes,
    // Path parameters carry emails (up to 320) and ids; the default of 100 would turn long ones into 404s.
    routerOptions: { maxParamLength: 512 },
    // Requests refused before routing (a malformed percent-encoding in the path) answer in the catalogue's shape
    // with the security headers, like every other answer.
    frameworkErrors: (err, _req, reply) => {
      const r = reply as unknown as FastifyReply;
      r.headers(securityHeaders(Boolean(tls)));
      void r.status(400).send({ code: 'RAMPART_ERR_API_BAD_REQUEST', message: `bad request: ${err.message}` });
    },
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err, req, reply) => {
    if (isRampartError(err)) return reply.status(err.status).send(err.toJSON());
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // The connector code for webhook endpoints (what the sender sees), the API's for everything else.
      const code = req.url.startsWith('/webhooks/') ? 'RAMPART_ERR_CONN_BODY_TOO_LARGE' : 'RAMPART_ERR_API_BODY_TOO_LARGE';
      return reply.status(413).send({ code, message: `request body is larger than ${req.routeOptions.bodyLimit ?? o.config.server.maxBodyBytes} bytes` });
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
      return reply.status(415).send(new RampartError('RAMPART_ERR_API_UNSUPPORTED_MEDIA_TYPE', [String(req.headers['content-type'] ?? 'none')]).toJSON());
    }
    // Every other client error is the catalogue's 400, whatever status the framework chose.
    if (e.statusCode && e.statusCode < 500) return reply.status(400).send({ code: 'RAMPART_ERR_API_BAD_REQUEST', message: `bad request: ${e.message}` });
    o.metrics.inc('rampart_errors_total', { component: 'http', stage: 'receive', error_type: 'exception' });
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ code: 'RAMPART_ERR_API_INTERNAL', message: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ code: 'RAMPART_ERR_API_NOT_FOUND', message: `route ${req.method} ${req.url.split('?')[0]} not found` }));

  app.get('/healthz', async (_req, reply) => (o.ready() ? reply.send({ status: 'ok' }) : reply.status(503).send({ status: 'starting' })));
  // Metrics: with `server.metricsToken` set, only `Authorization: Bearer <token>` (constant-time check) may read
  // them; without it, only clients on the loopback interface may. Everyone else gets 404, as for any unknown route.
  const metricsToken = o.config.server.metricsToken ? readSecret(o.config.server.metricsToken, 'server.metricsToken') : null;
  app.get('/metrics', async (req, reply) => {
    const allowed = metricsToken ? bearerMatches(req.headers.authorization, metricsToken) : isLoopback(req.socket.remoteAddress);
    if (!allowed) return reply.status(404).send({ code: 'RAMPART_ERR_API_NOT_FOUND', message: 'route GET /metrics not found' });
    return reply.type('text/plain; version=0.0.4').send(o.metrics.toPrometheus());
  });
  return app;
}

const isLoopback = (addr: string | undefined): boolean =>
  addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1' || (addr?.startsWith('127.') ?? false);

/** Constant-time comparison of a bearer token (hashes first, so lengths never leak through timing). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const h = (x: string) => createHash('sha256').update(x).digest();
  return timingSafeEqual(h(given), h(token)) && given.length > 0;
}
