/**
 * @module proxy/files
 * File facts for file conditions: from a download's response headers (Content-Disposition per RFC 6266 with
 * the RFC 8187 `filename*`, Content-Type, Content-Length), and from an upload's multipart body (parsed by
 * undici's standards-compliant FormData parser).
 */
import { Response } from 'undici';
import type { FileFacts } from './policy/filters.ts';

/** The file name of a Content-Disposition value, `filename*` preferred; null when absent. */
export function dispositionFileName(cd: string): string | null {
  const star = /filename\*\s*=\s*([^';]+)'[^']*'([^;]+)/i.exec(cd);
  if (star) {
    try {
      return sanitizeName(decodeURIComponent(star[2].trim()));
    } catch {
      /* fall through to filename= */
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(cd);
  if (quoted) return sanitizeName(quoted[1].replace(/\\(.)/g, '$1'));
  const bare = /filename\s*=\s*([^;\s]+)/i.exec(cd);
  return bare ? sanitizeName(bare[1]) : null;
}

/** Keeps the last path segment and drops control characters; at most 255 characters. */
export function sanitizeName(name: string): string | null {
  // eslint-disable-next-line no-control-regex
  const base = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f"]/g, '').trim();
  return base ? base.slice(0, 255) : null;
}

export const extensionOf = (name: string | null): string | null => {
  if (!name) return null;
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase().slice(0, 16) : null;
};

export function downloadFacts(headers: Readonly<Record<string, string | string[] | undefined>>, path: string): FileFacts {
  const one = (k: string) => {
    const v = headers[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const cd = one('content-disposition') ?? '';
  let name = cd ? dispositionFileName(cd) : null;
  if (!name) {
    const last = path.split('?')[0].split('/').pop() ?? '';
    try {
      name = sanitizeName(decodeURIComponent(last));
    } catch {
      name = sanitizeName(last);
    }
  }
  const len = Number(one('content-length'));
  const encoded = (one('content-encoding') ?? 'identity') !== 'identity';
  return {
    name,
    extension: extensionOf(name),
    mimeType: one('content-type')?.split(';')[0].trim().toLowerCase() || null,
    sizeBytes: Number.isFinite(len) && len >= 0 && !encoded ? len : null,
  };
}

export interface UploadedFile {
  facts: FileFacts;
  data: Uint8Array;
}

/** The files of a multipart/form-data body held in memory (the caller bounds its size). */
export async function multipartFiles(body: Buffer, contentType: string): Promise<UploadedFile[]> {
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  const out: UploadedFile[] = [];
  for (const [, v] of form) {
    if (typeof v === 'string') continue;
    const data = new Uint8Array(await v.arrayBuffer());
    const name = sanitizeName(v.name ?? '') ?? null;
    out.push({ facts: { name, extension: extensionOf(name), mimeType: v.type || null, sizeBytes: data.length }, data });
  }
  return out;
}
