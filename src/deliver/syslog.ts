/**
 * @module deliver/syslog
 * Alerts to a SIEM as RFC 5424 syslog messages whose MSG is a CEF record, over UDP (RFC 5426, one datagram
 * per message), TCP (RFC 6587 octet counting: "<length> <message>") or TLS (RFC 5425, same framing).
 * Written on node:dgram / node:net / node:tls: format and framing are a few dozen lines, and the built-ins give
 * exact control of octet counting, truncation at CEF field boundaries and TLS certificate checks.
 */
import { blankControls, collapseControls } from '../core/text.ts';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, isIPv6, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { Alert, Severity } from '../schema/alert.ts';
import { RampartError } from '../core/errors.ts';
import { SYSLOG_FACILITIES, type SyslogDestinationConfig } from './config.ts';
import { alertLink, errorText, readPemFile, systemClock, type Clock, type DeliveryResult, type Destination } from './destination.ts';
import { PRODUCT } from './ocsf.ts';

// ---------------------------------------------------------------------------------------------------------
// CEF

/** CEF header fields: backslash and pipe are escaped; a header may not span lines (any control character or line separator becomes a space). */
export const cefHeader = (s: string): string => collapseControls(s).replace(/[\\|]/g, (c) => `\\${c}`);

/** CEF extension values: backslash and equals are escaped, line breaks become \n or \r, other controls a space. */
export const cefValue = (s: string): string =>
  blankControls(s.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r'));

/** CEF severity 0-10. */
export const CEF_SEVERITY: Record<Severity, number> = { informational: 1, low: 3, medium: 6, high: 8 };

/** Syslog severity (RFC 5424 table 2) per alert severity. */
export const SYSLOG_SEVERITY: Record<Severity, number> = { informational: 6, low: 5, medium: 4, high: 2 };

const ms = (iso: string): number | undefined => {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
};

/**
 * One CEF record. Extension fields are in order of importance, so truncation to `maxBytes` cuts the least
 * important first; evidence and description are shortened before any field is dropped.
 */
export function formatCef(alert: Alert, consoleBaseUrl: string, maxBytes = Infinity): string {
  const header = [
    'CEF:0',
    cefHeader(PRODUCT.vendor_name),
    cefHeader(PRODUCT.name),
    cefHeader(PRODUCT.version),
    cefHeader(alert.detection.slice(0, 128)),
    cefHeader(alert.title.slice(0, 512)),
    String(CEF_SEVERITY[alert.severity]),
  ].join('|');

  const build = (evidenceMax: number, msgMax: number, fieldLimit: number): string => {
    const f: Array<[string, string | number | undefined | null]> = [
      ['rt', ms(alert.time)],
      ['externalId', alert.id],
      ['cat', alert.detection],
      ['suser', alert.user],
      ['suid', alert.userId],
    ];
    const ip = alert.ips[0];
    if (ip) f.push([isIPv6(ip) ? 'c6a2' : 'src', ip]);
    f.push(
      ['cs1Label', 'app'], ['cs1', alert.app],
      ['cs2Label', 'mitreTactic'], ['cs2', alert.mitreTactic],
      ['cs4Label', 'alertUrl'], ['cs4', alertLink(consoleBaseUrl, alert.id)],
      ['cnt', alert.count],
      ['start', ms(alert.firstSeen)],
      ['end', ms(alert.lastSeen)],
      ['cs5Label', 'tenant'], ['cs5', alert.tenant || undefined],
      ['cs6Label', 'ips'], ['cs6', alert.ips.length > 1 ? alert.ips.join(',') : undefined],
      ['msg', alert.description ? alert.description.slice(0, msgMax) : undefined],
      ['cs3Label', 'evidence'], ['cs3', alert.evidence.length ? alert.evidence.join(' | ').slice(0, evidenceMax) : undefined],
    );
    const present = f.filter(([k, v], i) => {
      if (v === undefined || v === null || v === '') return false;
      // A label is only worth sending with its value.
      if (k.endsWith('Label')) { const next = f[i + 1]; return next && next[1] !== undefined && next[1] !== null && next[1] !== ''; }
      return true;
    });
    return `${header}|${present.slice(0, fieldLimit).map(([k, v]) => `${k}=${cefValue(String(v))}`).join(' ')}`;
  };

  let evidenceMax = 4096;
  let msgMax = 2048;
  let out = build(evidenceMax, msgMax, Infinity);
  while (Buffer.byteLength(out) > maxBytes && (evidenceMax > 16 || msgMax > 16)) {
    evidenceMax = Math.floor(evidenceMax / 2);
    msgMax = Math.floor(msgMax / 2);
    out = build(evidenceMax, msgMax, Infinity);
  }
  for (let limit = 40; Buffer.byteLength(out) > maxBytes && limit > 0; limit--) out = build(evidenceMax, msgMax, limit);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// RFC 5424

/** RFC 5424 header fields are PRINTUSASCII without spaces; '-' is the nil value. */
const headerField = (s: string, max: number): string => {
  const clean = s.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean || '-';
};

export interface Rfc5424Options {
  facility: number;
  severity: number;
  time: Date;
  hostname: string;
  appName: string;
  procId?: string;
  msgId?: string;
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` (no structured data: the CEF record carries the fields). */
export function formatRfc5424(msg: string, o: Rfc5424Options): string {
  const pri = o.facility * 8 + o.severity;
  return `<${pri}>1 ${o.time.toISOString()} ${headerField(o.hostname, 255)} ${headerField(o.appName, 48)} ${headerField(o.procId ?? String(process.pid), 128)} ${headerField(o.msgId ?? 'alert', 32)} - ${msg}`;
}

/** RFC 6587 octet counting: the byte length, a space, the message. */
export const octetFrame = (msg: string): Buffer => {
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
};

// ---------------------------------------------------------------------------------------------------------
// Destination

export interface SyslogDestinationOptions {
  config: SyslogDestinationConfig;
  consoleBaseUrl: string;
  clock?: Clock;
}

const DEFAULT_PORT = { udp: 514, tcp: 514, tls: 6514 } as const;
/** UDP: RFC 5426 receivers SHOULD take 2048 bytes; TLS: RFC 5425 receivers SHOULD take 8192. */
const DEFAULT_MAX_BYTES = { udp: 2048, tcp: 8192, tls: 8192 } as const;

export class SyslogDestination implements Destination {
  readonly type = 'syslog' as const;
  readonly name: string;
  readonly #cfg: SyslogDestinationConfig;
  readonly #consoleBaseUrl: string;
  readonly #clock: Clock;
  readonly #port: number;
  readonly #maxBytes: number;
  readonly #hostname: string;
  readonly #ca: Buffer | undefined;
  #udp: UdpSocket | null = null;
  #stream: Socket | null = null;
  #connecting: Promise<Socket> | null = null;
  /** Bumped by close(): a connection that completes after close() is not kept. */
  #generation = 0;

  constructor(o: SyslogDestinationOptions) {
    this.name = o.config.name;
    this.#cfg = o.config;
    this.#consoleBaseUrl = o.consoleBaseUrl;
    this.#clock = o.clock ?? systemClock;
    this.#port = o.config.port ?? DEFAULT_PORT[o.config.transport];
    this.#maxBytes = o.config.maxMessageBytes ?? DEFAULT_MAX_BYTES[o.config.transport];
    this.#hostname = o.config.hostname ?? osHostname();
    this.#ca = o.config.tls.caFile ? readPemFile(o.config.tls.caFile) : undefined;
  }

  /** TCP/TLS: whether a connection to the collector is open now (health, tests). */
  get connected(): boolean {
    return this.#stream !== null && !this.#stream.destroyed;
  }

  /** The full RFC 5424 line for an alert, within the size limit. */
  format(alert: Alert): string {
    const header = formatRfc5424('', {
      facility: SYSLOG_FACILITIES[this.#cfg.facility],
      severity: SYSLOG_SEVERITY[alert.severity],
      time: this.#clock(),
      hostname: this.#hostname,
      appName: this.#cfg.appName,
    });
    return header + formatCef(alert, this.#consoleBaseUrl, this.#maxBytes - Buffer.byteLength(header));
  }

  /**
   * One attempt. TCP/TLS: the whole attempt (connect and handing the frame to the kernel) is bounded by
   * `timeoutMs`; a collector that stops reading fills the socket buffers, the attempt times out and the
   * connection is destroyed (the next attempt reconnects). `signal` abandons the attempt (shutdown).
   */
  async send(alert: Alert, signal?: AbortSignal): Promise<DeliveryResult> {
    const line = this.format(alert);
    try {
      if (this.#cfg.transport === 'udp') await this.#sendUdp(Buffer.from(line, 'utf8'));
      else await this.#sendStream(octetFrame(line), signal);
    } catch (err) {
      if (err instanceof RampartError) throw err;
      throw new RampartError('RAMPART_ERR_DELIVER_FAILED', [this.name, errorText(err)], { cause: err });
    }
    return { outcome: 'sent', detail: `${this.#cfg.transport} ${Buffer.byteLength(line)} bytes` };
  }

  #sendUdp(datagram: Buffer): Promise<void> {
    if (!this.#udp) {
      const sock = createSocket(isIPv6(this.#cfg.host) ? 'udp6' : 'udp4');
      sock.on('error', () => {
        sock.close();
        if (this.#udp === sock) this.#udp = null;
      });
      sock.unref();
      this.#udp = sock;
    }
    const sock = this.#udp;
    return new Promise((resolve, reject) => sock.send(datagram, this.#port, this.#cfg.host, (err) => (err ? reject(err) : resolve())));
  }

  #sendStream(frame: Buffer, signal?: AbortSignal): Promise<void> {
    const timeoutMs = this.#cfg.timeoutMs;
    return new Promise<void>((resolve, reject) => {
      let sock: Socket | null = null;
      let done = false;
      const finish = (err?: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      // One deadline for the attempt. A write whose callback has not come by then is stuck behind full buffers
      // (the collector accepts but does not read): the connection is unusable, destroy it.
      const timer = setTimeout(() => {
        sock?.destroy();
        finish(new RampartError('RAMPART_ERR_DELIVER_TIMEOUT', [this.name, timeoutMs]));
      }, timeoutMs);
      const onAbort = (): void => {
        sock?.destroy();
        finish(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#connect().then(
        (s) => {
          if (done) return; // timed out or abandoned while connecting; the connection stays for the next attempt
          sock = s;
          s.write(frame, (err) => {
            if (err) {
              s.destroy();
              finish(err);
            } else finish();
          });
        },
        (err: unknown) => finish(err),
      );
    });
  }

  #connect(): Promise<Socket> {
    if (this.#stream && !this.#stream.destroyed && this.#stream.writable) return Promise.resolve(this.#stream);
    if (this.#connecting) return this.#connecting;
    const { host } = this.#cfg;
    const port = this.#port;
    const timeoutMs = this.#cfg.timeoutMs;
    const generation = this.#generation;
    this.#connecting = new Promise<Socket>((resolve, reject) => {
      const tls = this.#cfg.transport === 'tls';
      const sock: Socket = tls
        ? tlsConnect({ host, port, ca: this.#ca, rejectUnauthorized: this.#cfg.tls.rejectUnauthorized, servername: this.#cfg.tls.servername ?? (isIPv6(host) || /^[\d.]+$/.test(host) ? undefined : host) })
        : netConnect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new RampartError('RAMPART_ERR_DELIVER_TIMEOUT', [this.name, timeoutMs]));
      }, timeoutMs);
      sock.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        if (generation !== this.#generation) {
          sock.destroy();
          reject(new RampartError('RAMPART_ERR_DELIVER_FAILED', [this.name, 'destination closed']));
          return;
        }
        sock.setKeepAlive(true, 60_000);
        this.#stream = sock;
        resolve(sock);
      });
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
        sock.destroy();
      });
      // The collector never talks back on this channel; reading keeps a half-closed socket noticed.
      sock.on('data', () => {});
      sock.on('close', () => {
        if (this.#stream === sock) this.#stream = null;
      });
    }).finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  /** Ends the connection politely; one that cannot flush within `timeoutMs` (collector not reading) is destroyed. */
  async close(): Promise<void> {
    this.#generation++;
    this.#udp?.close();
    this.#udp = null;
    const s = this.#stream;
    this.#stream = null;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => s.destroy(), this.#cfg.timeoutMs);
      s.once('close', done);
      s.end(done); // 'finish': everything written reached the kernel
    });
  }
}
