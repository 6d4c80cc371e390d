// Syslog delivery against real UDP, TCP and TLS listeners on loopback: RFC 5424 frame + CEF body parsed back.
import { createSocket } from 'node:dgram';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { SyslogDestinationSchema, type SyslogDestinationConfig } from '../../src/deliver/config.ts';
import { cefHeader, cefValue, formatCef, SyslogDestination } from '../../src/deliver/syslog.ts';
import { RampartError } from '../../src/core/errors.ts';
import { makeAlert, selfSignedCert } from './helpers.ts';

// ---- parsers a SIEM would apply ----

interface Syslog5424 { pri: number; version: number; timestamp: string; hostname: string; appName: string; procId: string; msgId: string; sd: string; msg: string }
function parse5424(line: string): Syslog5424 {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) ([\s\S]*)$/.exec(line);
  if (!m) throw new Error(`not RFC 5424: ${line.slice(0, 80)}`);
  return { pri: +m[1], version: +m[2], timestamp: m[3], hostname: m[4], appName: m[5], procId: m[6], msgId: m[7], sd: m[8], msg: m[9] };
}

interface Cef { version: string; vendor: string; product: string; deviceVersion: string; signatureId: string; name: string; severity: string; ext: Record<string, string> }
function parseCef(s: string): Cef {
  const fields: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < s.length && fields.length < 7; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '|' || s[i + 1] === '\\')) cur += s[++i];
    else if (c === '|') (fields.push(cur), (cur = ''));
    else cur += c;
  }
  if (fields.length !== 7) throw new Error(`not CEF: ${s.slice(0, 80)}`);
  const ext: Record<string, string> = {};
  const rest = s.slice(i);
  for (const part of rest.split(/ (?=[A-Za-z0-9]+=)/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    ext[part.slice(0, eq)] = part.slice(eq + 1).replace(/\\(\\|=|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  }
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = fields;
  return { version, vendor, product, deviceVersion, signatureId, name, severity, ext };
}

/** RFC 6587 octet-counting reader. */
function octetFrames(onFrame: (f: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(buf.subarray(0, sp).toString('ascii'));
      if (!Number.isInteger(len)) throw new Error('bad frame length');
      if (buf.length < sp + 1 + len) return;
      onFrame(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      buf = buf.subarray(sp + 1 + len);
    }
  };
}

// ---- listeners ----

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

interface StreamListener { port: number; frames: string[]; next: (n: number) => Promise<string[]>; dropConnections: () => void }
function streamListener(server: Server, tls = false): Promise<StreamListener> {
  const frames: string[] = [];
  const waiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  server.on(tls ? 'secureConnection' : 'connection', (sock: Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('data', octetFrames((f) => { frames.push(f); waiters.splice(0).forEach((w) => w()); }));
    sock.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
      resolve({
        port: (server.address() as AddressInfo).port,
        frames,
        next: async (n) => {
          while (frames.length < n) await new Promise<void>((r) => waiters.push(r));
          return frames.slice(0, n);
        },
        dropConnections: () => {
          for (const sock of sockets) sock.destroy();
        },
      });
    }),
  );
}

function config(over: Partial<SyslogDestinationConfig>): SyslogDestinationConfig {
  return SyslogDestinationSchema.parse({ name: 'siem', type: 'syslog', host: '127.0.0.1', hostname: 'rampart-test', ...over });
}

const tricky = () =>
  makeAlert({
    detection: 'policy:mass|download',
    title: 'Mass | download \\ by a=b\nsecond line',
    description: 'see key=value and a back\\slash\nnew line',
    evidence: ['52 downloads in 1 min', 'files: a|b=c'],
    severity: 'high',
  });

describe('CEF escaping', () => {
  it('escapes pipe and backslash in the header, equals, backslash and newlines in extensions', () => {
    expect(cefHeader('a|b\\c\nd')).toBe('a\\|b\\\\c d');
    expect(cefValue('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
    // Other line breaks and controls (NEL, LS, VT, ESC) never reach the line either.
    expect(cefHeader('a\u0085b\u2028c\u000bd\u001be')).toBe('a b c d e');
    expect(cefValue('a\u0085b\u2028c\u001bd')).toBe('a b c d');
  });
});

describe('syslog over UDP', () => {
  it('sends one RFC 5424 datagram whose CEF body round-trips every field', async () => {
    const sock = createSocket('udp4');
    const got = new Promise<string>((r) => sock.once('message', (m) => r(m.toString('utf8'))));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => sock.close(() => r())));
    const dest = new SyslogDestination({ config: config({ transport: 'udp', port: sock.address().port }), consoleBaseUrl: 'https://rampart.example' });
    const alert = tricky();
    const res = await dest.send(alert);
    const line = await got;
    await dest.close();

    expect(res.outcome).toBe('sent');
    const s = parse5424(line);
    expect(s.pri).toBe(10 * 8 + 2); // authpriv.crit for a high alert
    expect(s.version).toBe(1);
    expect(Number.isFinite(Date.parse(s.timestamp))).toBe(true);
    expect(s).toMatchObject({ hostname: 'rampart-test', appName: 'rampart', procId: String(process.pid), msgId: 'alert', sd: '-' });

    const cef = parseCef(s.msg);
    expect(cef).toMatchObject({ version: 'CEF:0', vendor: 'Rampart', product: 'Rampart', deviceVersion: '0.1.0', signatureId: 'policy:mass|download', name: 'Mass | download \\ by a=b second line', severity: '8' });
    expect(cef.ext).toMatchObject({
      rt: String(Date.parse(alert.time)),
      externalId: alert.id,
      cat: 'policy:mass|download',
      suser: 'alice@example.com',
      suid: '100042',
      src: '81.2.69.142',
      cs1Label: 'app',
      cs1: 'workplace',
      cs2Label: 'mitreTactic',
      cs2: 'initial_access',
      cs4: `https://rampart.example/alerts/${alert.id}`,
      cnt: '1',
      cs6: '81.2.69.142,1.128.0.1',
      msg: 'see key=value and a back\\slash\nnew line',
      cs3Label: 'evidence',
      cs3: '52 downloads in 1 min | files: a|b=c',
    });
  });

  it('keeps a large alert within maxMessageBytes, cutting evidence before identifying fields', async () => {
    const sock = createSocket('udp4');
    const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => sock.close(() => r())));
    const dest = new SyslogDestination({ config: config({ transport: 'udp', port: sock.address().port, maxMessageBytes: 600 }), consoleBaseUrl: 'http://c' });
    const alert = makeAlert({ evidence: Array.from({ length: 200 }, (_, i) => `evidence line ${i} = ${'x'.repeat(40)}`), description: 'd'.repeat(3000) });
    await dest.send(alert);
    const datagram = await got;
    await dest.close();
    expect(datagram.length).toBeLessThanOrEqual(600);
    const cef = parseCef(parse5424(datagram.toString('utf8')).msg);
    expect(cef.ext.externalId).toBe(alert.id);
    expect(cef.ext.suser).toBe('alice@example.com');
    expect((cef.ext.cs3 ?? '').length).toBeLessThan(alert.evidence.join(' | ').length);
  });
});

describe('syslog over TCP (RFC 6587 octet counting)', () => {
  it('frames each message with its exact byte length on one connection', async () => {
    const l = await streamListener(createTcpServer());
    const dest = new SyslogDestination({ config: config({ transport: 'tcp', port: l.port, facility: 'local4' }), consoleBaseUrl: 'http://c' });
    const a1 = makeAlert({ title: 'Zoë signed in from Zürich', severity: 'low' });
    const a2 = makeAlert({ severity: 'informational', user: 'bob@example.com' });
    await dest.send(a1);
    await dest.send(a2);
    const [f1, f2] = await l.next(2);
    await dest.close();
    const s1 = parse5424(f1);
    const s2 = parse5424(f2);
    expect(s1.pri).toBe(20 * 8 + 5); // local4.notice
    expect(s2.pri).toBe(20 * 8 + 6); // local4.info
    expect(parseCef(s1.msg).name).toBe('Zoë signed in from Zürich');
    expect(parseCef(s1.msg).severity).toBe('3');
    expect(parseCef(s2.msg).ext.suser).toBe('bob@example.com');
  });

  it('reports a refused connection as a retryable delivery failure', async () => {
    const probe = createTcpServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as AddressInfo).port)));
    await new Promise<void>((r) => probe.close(() => r()));
    const dest = new SyslogDestination({ config: config({ transport: 'tcp', port, timeoutMs: 2000 }), consoleBaseUrl: 'http://c' });
    const err = await dest.send(makeAlert()).catch((e: unknown) => e);
    await dest.close();
    expect(err).toBeInstanceOf(RampartError);
    expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_FAILED');
    expect((err as RampartError).message).toMatch(/ECONNREFUSED/);
  });

  it('reconnects after the collector drops the connection', async () => {
    const l = await streamListener(createTcpServer());
    const dest = new SyslogDestination({ config: config({ transport: 'tcp', port: l.port }), consoleBaseUrl: 'http://c' });
    await dest.send(makeAlert({ title: 'first' }));
    await l.next(1);
    // The collector cuts every open connection (e.g. a restart behind a load balancer).
    l.dropConnections();
    expect(dest.connected).toBe(true);
    while (dest.connected) await new Promise((r) => setTimeout(r, 5)); // the FIN arrives, as it would long before the next alert
    await dest.send(makeAlert({ title: 'second' }));
    const frames = await l.next(2);
    await dest.close();
    expect(frames.map((f) => parseCef(parse5424(f).msg).name)).toEqual(['first', 'second']);
  });
});

describe('syslog to a collector that accepts but never reads', () => {
  /** A TCP collector that accepts connections and never reads from them: the kernel buffers fill, then writes stall. */
  async function deafCollector(): Promise<{ port: number; connections: () => number; open: () => number }> {
    const server = createTcpServer((sock) => {
      sock.pause();
      sock.on('error', () => {});
      sockets.add(sock);
      accepted++;
      sock.on('close', () => sockets.delete(sock));
    });
    const sockets = new Set<Socket>();
    let accepted = 0;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
    return { port: (server.address() as AddressInfo).port, connections: () => accepted, open: () => sockets.size };
  }

  /** Rejects when `p` is still pending after `ms`: a stall fails the test with a message instead of hanging it. */
  const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms).unref())]);

  it('times an attempt out after timeoutMs, destroys the stuck connection and reconnects for the next attempt; close() returns', async () => {
    const c = await deafCollector();
    const timeoutMs = 300;
    const dest = new SyslogDestination({ config: config({ transport: 'tcp', port: c.port, timeoutMs, maxMessageBytes: 65_000 }), consoleBaseUrl: 'http://c' });
    // ~60 KB frames: loopback socket buffers (a few MB) fill within a few hundred sends.
    const big = makeAlert({ user: `${'u'.repeat(60_000)}@example.com` });
    let err: unknown;
    let sent = 0;
    for (; sent < 5_000 && err === undefined; sent++) {
      err = await within(dest.send(big), 10 * timeoutMs, `send #${sent + 1}`).then(() => undefined, (e: unknown) => e);
    }
    expect(sent).toBeGreaterThan(1); // the first frames did go out: it is the full buffers that stall
    expect(err).toBeInstanceOf(RampartError);
    expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_TIMEOUT');
    expect(dest.connected).toBe(false); // the stuck connection was destroyed, not reused

    // The next attempt opens a new connection (which the collector again never reads).
    expect((await within(dest.send(makeAlert()), 10 * timeoutMs, 'send after timeout')).outcome).toBe('sent');
    expect(c.connections()).toBe(2);
    await within(dest.close(), 10 * timeoutMs, 'close()');
  });

  it('close() does not wait for a collector that never reads the frames already written', async () => {
    const c = await deafCollector();
    const timeoutMs = 300;
    const dest = new SyslogDestination({ config: config({ transport: 'tcp', port: c.port, timeoutMs, maxMessageBytes: 65_000 }), consoleBaseUrl: 'http://c' });
    const big = makeAlert({ user: `${'u'.repeat(60_000)}@example.com` });
    // Fill the buffers without waiting for the write callbacks: a frame is left in the user-space queue.
    const pending = Array.from({ length: 400 }, () => dest.send(big).then(() => 'sent', (e: RampartError) => e.code));
    await new Promise((r) => setTimeout(r, 50));
    await within(dest.close(), 10 * timeoutMs, 'close()');
    const outcomes = await within(Promise.all(pending), 10 * timeoutMs, 'the queued sends');
    expect(outcomes.every((o) => /^(sent|RAMPART_ERR_DELIVER_(TIMEOUT|FAILED))$/.test(o))).toBe(true);
    expect(outcomes.filter((o) => o !== 'sent').length).toBeGreaterThan(0); // the stuck ones failed (and would be retried)
  });
});

describe('syslog over TLS (RFC 5425)', () => {
  const tls = selfSignedCert();

  it('verifies the collector certificate against caFile and delivers', async () => {
    const l = await streamListener(createTlsServer({ key: tls.key, cert: tls.cert }), true);
    const dest = new SyslogDestination({ config: config({ transport: 'tls', port: l.port, tls: { caFile: tls.certFile, rejectUnauthorized: true } }), consoleBaseUrl: 'http://c' });
    const alert = makeAlert();
    const res = await dest.send(alert);
    const [frame] = await l.next(1);
    await dest.close();
    expect(res.detail).toMatch(/^tls \d+ bytes$/);
    expect(parseCef(parse5424(frame).msg).ext.externalId).toBe(alert.id);
  });

  it('refuses a collector whose certificate it cannot verify', async () => {
    const l = await streamListener(createTlsServer({ key: tls.key, cert: tls.cert }), true);
    const dest = new SyslogDestination({ config: config({ transport: 'tls', port: l.port }), consoleBaseUrl: 'http://c' });
    const err = await dest.send(makeAlert()).catch((e: unknown) => e);
    await dest.close();
    expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_FAILED');
    expect((err as RampartError).message).toMatch(/self[- ]signed/i);
    expect(l.frames).toHaveLength(0);
  });
});

describe('syslog config errors', () => {
  it('names a missing CA file instead of crashing, and refuses UDP messages larger than a datagram', () => {
    const err = (() => {
      try {
        new SyslogDestination({ config: config({ transport: 'tls', tls: { caFile: '/nonexistent/ca.pem', rejectUnauthorized: true } }), consoleBaseUrl: 'http://c' });
      } catch (e) {
        return e as RampartError;
      }
    })();
    expect(err?.code).toBe('RAMPART_ERR_CONFIG_UNREADABLE');
    expect(err?.message).toContain('/nonexistent/ca.pem');
    expect(() => config({ transport: 'udp', maxMessageBytes: 70_000 })).toThrow(/65507/);
    expect(config({ transport: 'tcp', maxMessageBytes: 70_000 }).maxMessageBytes).toBe(70_000);
  });
});

describe('formatCef', () => {
  it('omits absent optional fields instead of sending empty values', () => {
    const cef = parseCef(formatCef(makeAlert({ user: null, userId: null, ips: [], mitreTactic: null, tenant: '' }), 'http://c'));
    expect(cef.ext).not.toHaveProperty('suser');
    expect(cef.ext).not.toHaveProperty('src');
    expect(cef.ext).not.toHaveProperty('cs2Label');
    expect(cef.ext).not.toHaveProperty('cs5Label');
    expect(cef.ext.cs1).toBe('workplace');
  });

  it('uses c6a2 for an IPv6 source address', () => {
    const cef = parseCef(formatCef(makeAlert({ ips: ['2001:db8::1'] }), 'http://c'));
    expect(cef.ext.c6a2).toBe('2001:db8::1');
    expect(cef.ext).not.toHaveProperty('src');
  });
});
