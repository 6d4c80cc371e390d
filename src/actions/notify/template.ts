/**
 * @module actions/notify/template
 * The user notification, MDCA style: an HTML (and a text) template with `%%logo%%`, `%%title%%` and
 * `%%content%%` placeholders. Title and content are plain text filled from the alert; they are
 * HTML-escaped before they enter the HTML template, so alert text can never inject markup.
 */
import { readFileSync } from 'node:fs';

export const DEFAULT_HTML_TEMPLATE = `<!doctype html>
<html><body style="margin:0;padding:24px;background:#f4f5f7;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1d2129">
<table role="presentation" width="100%" style="max-width:600px;margin:auto;background:#fff;border-radius:8px;padding:24px">
<tr><td>%%logo%%</td></tr>
<tr><td><h1 style="font-size:20px;margin:16px 0">%%title%%</h1></td></tr>
<tr><td style="font-size:14px;line-height:1.5">%%content%%</td></tr>
<tr><td style="font-size:12px;color:#606770;padding-top:24px">Sent by your organisation's security team.</td></tr>
</table></body></html>
`;

export const DEFAULT_TEXT_TEMPLATE = `%%title%%

%%content%%

-- 
Sent by your organisation's security team.
`;

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface Templates {
  html: string;
  text: string;
}

/** Loads template files when configured (read once at start-up), else the defaults. */
export function loadTemplates(htmlPath?: string, textPath?: string): Templates {
  return {
    html: htmlPath ? readFileSync(htmlPath, 'utf8') : DEFAULT_HTML_TEMPLATE,
    text: textPath ? readFileSync(textPath, 'utf8') : DEFAULT_TEXT_TEMPLATE,
  };
}

/** Fills `{name}` tokens in admin-written text from `vars`; unknown tokens stay as written. */
export const fillTokens = (text: string, vars: Record<string, string>): string =>
  text.replace(/\{([a-zA-Z.]+)\}/g, (m, k: string) => (k in vars ? vars[k]! : m));

export function render(t: Templates, parts: { logoUrl?: string; title: string; content: string }): { html: string; text: string } {
  const logo = parts.logoUrl ? `<img src="${escapeHtml(parts.logoUrl)}" alt="" height="40">` : '';
  const contentHtml = parts.content
    .split(/\n{2,}|\n/)
    .filter((p) => p.trim())
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('\n');
  // A function replacer, so `$` in alert text is never read as a replacement pattern.
  const html = t.html
    .replace(/%%logo%%/g, () => logo)
    .replace(/%%title%%/g, () => escapeHtml(parts.title))
    .replace(/%%content%%/g, () => contentHtml);
  const text = t.text
    .replace(/%%logo%%/g, () => '')
    .replace(/%%title%%/g, () => parts.title)
    .replace(/%%content%%/g, () => parts.content);
  return { html, text };
}
