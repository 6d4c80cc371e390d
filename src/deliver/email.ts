/**
 * @module deliver/email
 * Alert email over SMTP (nodemailer), HTML + plain text, with the documented MDCA limit: at most 500
 * messages per recipient address per UTC day. The count lives in the store (`delivery_quota` documents),
 * so a restart does not reset it; over-limit recipients are left out and reported as skipped.
 */
import { collapseControls, escapeControls } from '../core/text.ts';
import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Alert } from '../schema/alert.ts';
import { RampartError } from '../core/errors.ts';
import { readSecret } from '../config/secret.ts';
import type { EmailDestinationConfig } from './config.ts';
import { alertLink, errorText, readPemFile, systemClock, type Clock, type DeliveryResult, type Destination, type DocStore } from './destination.ts';

export const QUOTA_DOC_KIND = 'delivery_quota';

interface QuotaBody {
  address: string;
  /** UTC day `YYYY-MM-DD` the count belongs to; a different day means the count is 0. */
  day: string;
  count: number;
}

export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Per-address daily message counter, one document per address. The day is part of the body, so the count
 * resets by itself at midnight UTC. Callers serialise use per process (the dispatcher's per-destination queue).
 */
export class DailyAddressQuota {
  constructor(
    private readonly store: DocStore,
    private readonly limit: number,
    private readonly clock: Clock = systemClock,
  ) {}

  async used(address: string): Promise<number> {
    const doc = await this.store.getDoc<QuotaBody>(QUOTA_DOC_KIND, address.toLowerCase());
    return doc && doc.body.day === utcDay(this.clock()) ? doc.body.count : 0;
  }

  async allows(address: string): Promise<boolean> {
    return (await this.used(address)) < this.limit;
  }

  async record(address: string): Promise<void> {
    const now = this.clock();
    const id = address.toLowerCase();
    const count = (await this.used(id)) + 1;
    await this.store.putDoc({ kind: QUOTA_DOC_KIND, id, body: { address: id, day: utcDay(now), count } satisfies QuotaBody, updatedAt: now.toISOString() });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Templates

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/** Header-safe single line (no CR/LF), bounded. */
const oneLine = (s: string, max = 200): string => collapseControls(s).slice(0, max);

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const SEVERITY_COLOURS: Record<Alert['severity'], string> = { informational: '#5b6b7b', low: '#2f6fb0', medium: '#c77c00', high: '#c0262d' };

/** Bounds on what one email shows, so a runaway detection cannot build a multi-megabyte message. */
export const EMAIL_MAX_EVIDENCE_LINES = 50;
export const EMAIL_MAX_FIELD_CHARS = 2000;

export function renderAlertEmail(alert: Alert, consoleBaseUrl: string, subjectPrefix = '[Rampart]'): RenderedEmail {
  const link = alertLink(consoleBaseUrl, alert.id);
  const cut = (s: string) => (s.length > EMAIL_MAX_FIELD_CHARS ? `${s.slice(0, EMAIL_MAX_FIELD_CHARS)}…` : s);
  const evidence = alert.evidence.slice(0, EMAIL_MAX_EVIDENCE_LINES).map(cut);
  if (alert.evidence.length > EMAIL_MAX_EVIDENCE_LINES) evidence.push(`… and ${alert.evidence.length - EMAIL_MAX_EVIDENCE_LINES} more in the console`);
  const description = cut(alert.description);
  const sev = alert.severity.toUpperCase();
  const rows: Array<[string, string]> = [
    ['Severity', alert.severity],
    ['User', cut(alert.user ?? '(unknown)')],
    ['App', alert.app],
    ['Detection', alert.detection],
    ['Time', alert.time],
  ];
  if (alert.mitreTactic) rows.push(['MITRE tactic', alert.mitreTactic]);
  if (alert.ips.length) rows.push(['IP addresses', alert.ips.join(', ')]);
  if (alert.count > 1) rows.push(['Occurrences', `${alert.count} (first ${alert.firstSeen}, last ${alert.lastSeen})`]);

  const subject = oneLine(`${subjectPrefix ? `${subjectPrefix} ` : ''}${sev}: ${alert.title}`);

  // One line per field: a line break inside a field would let event data write lines of its own (a fake verdict,
  // a second "Open the alert" link). The HTML part escapes for itself.
  const l = escapeControls;
  const text = [
    l(alert.title),
    '',
    ...rows.map(([k, v]) => `${k}: ${l(v)}`),
    '',
    ...(description ? [l(description), ''] : []),
    'Evidence:',
    ...(evidence.length ? evidence.map((e) => `  - ${l(e)}`) : ['  (none)']),
    '',
    `Open the alert: ${link}`,
    '',
  ].join('\n');

  const e = escapeHtml;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${e(alert.title)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d2329;max-width:640px">
<p style="margin:0 0 4px"><span style="display:inline-block;padding:2px 8px;border-radius:3px;color:#fff;background:${SEVERITY_COLOURS[alert.severity]};font-size:12px;font-weight:600">${e(sev)}</span></p>
<h1 style="font-size:18px;margin:4px 0 12px">${e(alert.title)}</h1>
${description ? `<p>${e(description)}</p>\n` : ''}<table style="border-collapse:collapse;font-size:14px">
${rows.map(([k, v]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0;color:#5b6b7b;font-weight:500">${e(k)}</th><td>${e(v)}</td></tr>`).join('\n')}
</table>
<h2 style="font-size:15px;margin:16px 0 6px">Evidence</h2>
<ul>
${evidence.length ? evidence.map((x) => `<li>${e(x)}</li>`).join('\n') : '<li>(none)</li>'}
</ul>
<p><a href="${e(link)}">Open the alert in Rampart</a></p>
</body></html>
`;
  return { subject, text, html };
}

// ---------------------------------------------------------------------------------------------------------
// Destination

const Email = z.email().max(320);
const MAX_POLICY_RECIPIENTS = 50;

/**
 * Extra recipients an activity policy names for its alerts (`alerts.emailTo` in the policy, carried on the alert
 * as `details.emailTo`). Entries that are not valid addresses are ignored; at most 50 are used.
 */
export function policyRecipients(alert: Alert): string[] {
  const list = alert.detection.startsWith('policy:') ? alert.details.emailTo : undefined;
  if (!Array.isArray(list)) return [];
  const valid = list.filter((a): a is string => Email.safeParse(a).success).map((a) => a.toLowerCase());
  return [...new Set(valid)].slice(0, MAX_POLICY_RECIPIENTS);
}

export interface EmailDestinationOptions {
  config: EmailDestinationConfig;
  /** Who receives an alert; default: the configured `to`. (The policy-recipients lane reads the policy's list.) */
  recipientsOf?: (alert: Alert) => string[];
  store: DocStore;
  consoleBaseUrl: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export class EmailDestination implements Destination {
  readonly type = 'email' as const;
  readonly name: string;
  readonly quota: DailyAddressQuota;
  readonly #cfg: EmailDestinationConfig;
  readonly #consoleBaseUrl: string;
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo>;
  readonly #recipientsOf: (alert: Alert) => string[];

  constructor(o: EmailDestinationOptions) {
    this.name = o.config.name;
    this.#cfg = o.config;
    this.#recipientsOf = o.recipientsOf ?? (() => o.config.to);
    this.#consoleBaseUrl = o.consoleBaseUrl;
    this.quota = new DailyAddressQuota(o.store, o.config.dailyLimitPerAddress, o.clock ?? systemClock);
    const s = o.config.smtp;
    const pass = s.password ? readSecret(s.password, `alerts.destinations.${o.config.name}.smtp.password`, o.env) : undefined;
    this.#transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: !s.secure && s.requireTls,
      auth: s.user ? { user: s.user, pass } : undefined,
      tls: { rejectUnauthorized: s.rejectUnauthorized, ca: s.caFile ? readPemFile(s.caFile) : undefined },
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(alert: Alert): Promise<DeliveryResult> {
    const allowed: string[] = [];
    const skipped: string[] = [];
    const recipients = this.#recipientsOf(alert);
    if (!recipients.length) return { outcome: 'skipped', detail: 'no recipients' };
    for (const to of recipients) ((await this.quota.allows(to)) ? allowed : skipped).push(to);
    const limitNote = skipped.length
      ? new RampartError('RAMPART_ERR_DELIVER_QUOTA_EXCEEDED', [this.#cfg.dailyLimitPerAddress, skipped.join(', ')]).message
      : undefined;
    if (!allowed.length) return { outcome: 'skipped', detail: limitNote, skippedRecipients: skipped };

    const { subject, text, html } = renderAlertEmail(alert, this.#consoleBaseUrl, this.#cfg.subjectPrefix);
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await this.#transport.sendMail({
        from: this.#cfg.from,
        to: allowed,
        subject,
        text,
        html,
        headers: { 'X-Rampart-Alert-Id': alert.id, 'X-Rampart-Detection': oneLine(alert.detection, 128) },
      });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // SMTP 5xx is a permanent refusal (bad address, policy); 4xx and network errors are worth a retry.
      if (code !== undefined && code >= 500 && code < 600) {
        throw new RampartError('RAMPART_ERR_DELIVER_REJECTED', [this.name, errorText(err)], { cause: err });
      }
      throw new RampartError('RAMPART_ERR_DELIVER_FAILED', [this.name, errorText(err)], { cause: err });
    }
    const accepted = new Set(info.accepted.map((a: unknown) => String(typeof a === 'string' ? a : (a as { address: string }).address).toLowerCase()));
    // The message is out: a failure to count it must not turn into a retry (a duplicate email). It is reported.
    let countError: string | undefined;
    for (const to of allowed) {
      if (!accepted.has(to.toLowerCase())) continue;
      try {
        await this.quota.record(to);
      } catch (err) {
        countError = `daily count not stored: ${errorText(err)}`;
      }
    }
    const rejected = allowed.filter((a) => !accepted.has(a.toLowerCase()));
    const parts = [`message ${info.messageId}`];
    if (countError) parts.push(countError);
    if (rejected.length) parts.push(`rejected by server: ${rejected.join(', ')}`);
    if (limitNote) parts.push(limitNote);
    return { outcome: 'sent', detail: parts.join('; '), skippedRecipients: skipped.length ? skipped : undefined };
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
