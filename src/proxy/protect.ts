/**
 * @module proxy/protect
 * "Protect" on download, Rampart's equivalent of applying a protection label: the file is delivered inside a
 * WinZip AES-256 encrypted ZIP (@zip.js/zip.js) whose random password is emailed to the user (nodemailer).
 * Any ZIP tool that supports AES (7-Zip, Windows 11 Explorer, macOS Archive Utility, `7z x`) opens it.
 */
import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';

configure({ useWebWorkers: false });

/** A password that survives email clients and keyboards: 20 characters from an unambiguous alphabet. */
export function newZipPassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** The file inside an AES-256 encrypted ZIP. */
export async function encryptToZip(fileName: string, data: Uint8Array, password: string): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { password, encryptionStrength: 3, zipCrypto: false });
  await writer.add(fileName, new Uint8ArrayReader(data));
  return writer.close();
}

export interface ProtectMailer {
  sendPassword(to: string, fileName: string, password: string, app: string): Promise<void>;
  close(): void;
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  insecureTls: boolean;
  from: string;
}

export function createProtectMailer(s: SmtpSettings): ProtectMailer {
  const transport: Transporter = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    auth: s.user ? { user: s.user, pass: s.password ?? '' } : undefined,
    tls: s.insecureTls ? { rejectUnauthorized: false } : undefined,
  });
  return {
    async sendPassword(to, fileName, password, app) {
      await transport.sendMail({
        from: s.from,
        to,
        subject: `Password for the protected file ${fileName}`,
        text:
          `You downloaded "${fileName}" from ${app}. Your organization's policy delivered it inside an encrypted ZIP file (AES-256).\n\n` +
          `Password: ${password}\n\nOpen the ZIP with a tool that supports AES encryption (7-Zip, Windows Explorer, macOS Archive Utility).\n`,
      });
    },
    close: () => transport.close(),
  };
}
