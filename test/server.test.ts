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

  it('answers unknown routes with a coded 404', async () => {
    const r = await server({}).inject('/nope?x=1');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ code: 'RAMPART_ERR_API_NOT_FOUND', message: 'route GET /nope not found' });
  });
});
