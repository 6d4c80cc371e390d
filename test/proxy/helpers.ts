/** Shared set-up for the session proxy tests: simulator, proxy, recording sink, certificates, cookie jar. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '../../src/core/metrics.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { UserAgentParser } from '../../src/enrich/user-agent.ts';
import type { Activity } from '../../src/schema/activity.ts';
import type { Alert } from '../../src/schema/alert.ts';
import { ProxyConfigSchema, type ProxyConfigInput } from '../../src/proxy/config.ts';
import { startProxy, type ProxyActivitySink, type SessionProxy, type StartProxyOptions } from '../../src/proxy/server.ts';

/** Collects what the proxy records; enrich fills device type/OS from the user agent like the real enricher. */
export class RecordingSink implements ProxyActivitySink {
  readonly activities: Activity[] = [];
  readonly alerts: Alert[] = [];
  readonly #ua = new UserAgentParser();
  enrich(acts: Activity[]): void {
    for (const a of acts) {
      if (!a.userAgent) continue;
      const u = this.#ua.parse(a.userAgent);
      a.device = { ...u.device, tags: a.device?.tags ?? [] };
    }
  }
  async ingest(acts: Activity[]): Promise<void> {
    this.activities.push(...acts);
  }
  async publish(alert: Alert): Promise<void> {
    this.alerts.push(alert);
  }
  /** Waits until an activity matching the test is recorded (recording happens after the response). */
  async waitFor(test: (a: Activity) => boolean, timeoutMs = 5000): Promise<Activity> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.activities.find(test);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no matching activity among ${this.activities.length}: ${JSON.stringify(this.activities.map((a) => [a.action, a.actor.email, a.outcome]))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export function tempDir(prefix = 'rampart-proxy-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writePolicies(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

export async function startTestProxy(
  input: Omit<ProxyConfigInput, 'port'> & { port?: number },
  extra: Partial<Omit<StartProxyOptions, 'config'>> = {},
): Promise<{ proxy: SessionProxy; sink: RecordingSink; metrics: Metrics }> {
  const sink = new RecordingSink();
  const metrics = new Metrics();
  const config = ProxyConfigSchema.parse({ port: 0, ...input });
  const proxy = await startProxy({ config, sink, logger: silentLogger(), metrics, port: 0, ...extra });
  return { proxy, sink, metrics };
}

/** A tiny cookie jar for undici requests. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  take(setCookie: string | string[] | undefined): void {
    for (const c of ([] as string[]).concat(setCookie ?? [])) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface TestPki {
  dir: string;
  caCert: string;
  caCrl: string;
  serverCert: string;
  serverKey: string;
  goodCert: string;
  goodKey: string;
  revokedCert: string;
  revokedKey: string;
  /** A client certificate from another CA (not the organisation's). */
  strangerCert: string;
  strangerKey: string;
}

/** An organisation CA, a server certificate for localhost/127.0.0.1, a valid and a revoked client certificate, a CRL. */
export function makePki(): TestPki {
  const dir = tempDir('rampart-pki-');
  const p = (f: string) => join(dir, f);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(
    p('ca.cnf'),
    `[ca]\ndefault_ca = testca\n[testca]\ndir = ${dir}\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\ncertificate = ${dir}/ca.crt\nprivate_key = ${dir}/ca.key\nserial = ${dir}/serial\ncrlnumber = ${dir}/crlnumber\ndefault_md = sha256\ndefault_days = 2\ndefault_crl_days = 2\npolicy = pol\n[pol]\ncommonName = supplied\n[client_ext]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\n[server_ext]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n`,
  );
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('serial'), '1000\n');
  writeFileSync(p('crlnumber'), '1000\n');
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Rampart Test Org CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const issue = (name: string, cn: string, ext: string) => {
    ossl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ossl('ca', '-batch', '-config', 'ca.cnf', '-in', `${name}.csr`, '-out', `${name}.crt`, '-extensions', ext, '-notext');
  };
  issue('server', 'localhost', 'server_ext');
  issue('good', 'laptop-001.corp', 'client_ext');
  issue('revoked', 'laptop-lost.corp', 'client_ext');
  ossl('ca', '-config', 'ca.cnf', '-revoke', 'revoked.crt');
  ossl('ca', '-config', 'ca.cnf', '-gencrl', '-out', 'ca.crl');
  ossl('req', '-x509', ...ec, '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '2', '-subj', '/CN=stranger');
  return {
    dir,
    caCert: p('ca.crt'),
    caCrl: p('ca.crl'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    goodCert: p('good.crt'),
    goodKey: p('good.key'),
    revokedCert: p('revoked.crt'),
    revokedKey: p('revoked.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
  };
}
