/**
 * @module actions/notify/notifier
 * Sends the user notification. The SMTP notifier is nodemailer; its failures are classified like HTTP
 * ones: 4xx replies and connection problems are transient, 5xx replies are permanent.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import { ProviderError, type FailureReason } from '../provider-error.ts';

export interface OutgoingMail {
  /** Deterministic per log entry, so a resend after a crash is recognisable as the same message. */
  messageId: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
}

export interface Notifier {
  send(mail: OutgoingMail): Promise<string>;
  close(): void;
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  /** Upgrade to TLS with STARTTLS when the server offers it; `requireTls` refuses to send otherwise. */
  requireTls: boolean;
  user?: string;
  password?: string;
  from: string;
  timeoutMs: number;
  /** Accept self-signed certificates (test servers only). */
  allowInsecureTls?: boolean;
}

export class SmtpNotifier implements Notifier {
  readonly #transport: Transporter;
  readonly #from: string;

  constructor(s: SmtpSettings) {
    this.#from = s.from;
    this.#transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: s.requireTls,
      auth: s.user ? { user: s.user, pass: s.password ?? '' } : undefined,
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
      tls: s.allowInsecureTls ? { rejectUnauthorized: false } : undefined,
    });
  }

  async send(mail: OutgoingMail): Promise<string> {
    try {
      const info = await this.#transport.sendMail({
        from: this.#from,
        to: mail.to,
        cc: mail.cc.length ? mail.cc : undefined,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
      });
      const accepted = (info.accepted as unknown[]).map(String);
      return `email ${mail.messageId} accepted for ${accepted.join(', ')}`;
    } catch (cause) {
      throw smtpError(cause);
    }
  }

  close(): void {
    this.#transport.close();
  }
}

function smtpError(cause: unknown): ProviderError {
  const e = cause as { responseCode?: number; code?: string; message?: string; response?: string };
  const code = e.responseCode ?? null;
  let reason: FailureReason;
  if (code !== null) reason = code === 535 || code === 530 ? 'auth' : code >= 500 ? 'rejected' : 'server_error';
  else reason = e.code === 'ETIMEDOUT' ? 'timeout' : e.code === 'EAUTH' ? 'auth' : 'network';
  return new ProviderError({
    provider: 'smtp',
    reason,
    status: code,
    message: `SMTP ${code ?? e.code ?? 'error'}: ${(e.response ?? e.message ?? String(cause)).slice(0, 300)}`,
    request: 'SMTP sendMail',
    cause,
  });
}
