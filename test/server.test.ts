// The service's own endpoints: health, metrics access control, errors as {code, message}.
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../src/api/server.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { silentLogger } from '../src/core/logger.ts';
import { Metrics } from '../src/core/metrics.ts';

function server(config: unknown, ready = true, env?: Record<string, string>) {
  const old = { ...process.env };
  Object.assign(process.env, env ?? {});
  const metrics = new Metrics();
  metrics.inc('rampart_activities_ingested_total', {}, 3);
  try {
    return createHttpServer({ config: ConfigSchema.parse(config), logger: silentLogger(), metrics, ready: () => ready });
  } finally {
    process.env = old;
  }
}

describe('HTTP server', () => {
  it('answers /healthz 200 when ready and 503 while starting', async () => {
    expect((await server({}).inject('/healthz')).statusCode).toBe(200);
    const starting = await server({}, false).inject('/healthz');
    expect(starting.statusCode).toBe(503);
    expect(starting.json()).toEqual({ status: 'starting' });
  });

  it('serves metrics to loopback clients only when no metrics token is configured', async () => {
    const app = server({});
    const local = await app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
    expect(local.body).toContain('rampart_activities_ingested_total 3');
    const remote = await app.inject({ url: '/metrics', remoteAddress: '198.51.100.7' });
    expect(remote.statusCode).toBe(404);
    expect(remote.body).not.toContain('rampart_');
  });

  it('requires the bearer token when server.metricsToken is set, from anywhere', async () => {
    const app = server({ server: { metricsToken: { env: 'TEST_METRICS_TOKEN' } } }, true, { TEST_METRICS_TOKEN: 'm3trics-t0ken' });
    expect((await app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(404);
    const ok = await app.inject({ url: '/metrics', remoteAddress: '198.51.100.7', headers: { authorization: 'Bearer m3trics-t0ken' } });
    expect(ok.statusCode).toBe(200);
  });

  it('answers framework refusals in the catalogue shape: bad URL encoding 400 with security headers, 413 and 415 by area', async () => {
    const app = server({ server: { maxBodyBytes: 1024 } });
    app.post('/api/thing', async () => ({ ok: true }));
    const badUrl = await app.inject('/api/alerts/%ZZ');
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().code).toBe('RAMPART_ERR_API_BAD_REQUEST');
    expect(badUrl.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const big = await app.inject({ method: 'POST', url: '/healthz', payload: JSON.stringify({ x: 'y'.repeat(4096) }), headers: { 'content-type': 'application/json' } });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('RAMPART_ERR_API_BODY_TOO_LARGE');
    const media = await app.inject({ method: 'POST', url: '/api/thing', payload: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(media.statusCode).toBe(415);
    expect(media.json()).toEqual({ code: 'RAMPART_ERR_API_UNSUPPORTED_MEDIA_TYPE', message: 'request body of type application/x-www-form-urlencoded is not accepted here (send application/json)' });
  });

  it('answers unknown routes with a coded 404', async () => {
    const r = await server({}).inject('/nope?x=1');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ code: 'RAMPART_ERR_API_NOT_FOUND', message: 'route GET /nope not found' });
  });
});
