/**
 * notify_user: email the user (MDCA "User email notification"), optionally CC their manager from the
 * directory and additional recipients. Template placeholders: %%logo%%, %%title%%, %%content%%.
 */
import { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import type { Action, ActionContext, ActionParams } from './action.ts';
import { fillTokens, loadTemplates, render, type Templates } from './notify/template.ts';
import type { OutgoingMail } from './notify/notifier.ts';

const templateCache = new Map<string, Templates>();
const templates = (html?: string, text?: string): Templates => {
  const k = `${html ?? ''}\u0000${text ?? ''}`;
  let t = templateCache.get(k);
  if (!t) templateCache.set(k, (t = loadTemplates(html, text)));
  return t;
};

/**
 * One plain address. The target's address can come from event data (an activity's actor email), and a string
 * like "victim@acme.example, attacker@evil.example" is an address LIST to nodemailer: a second recipient.
 */
const isOneAddress = (s: string | null | undefined): s is string => typeof s === 'string' && z.email().safeParse(s).success;

async function recipients(p: ActionParams, ctx: ActionContext): Promise<{ to: string[]; cc: string[] }> {
  const dir = await ctx.directoryUser(p.target.app, p.target.appUserId ?? p.target.user);
  // The directory's address first (the organisation's record of the person), else the target's, if either is one address.
  const email = [dir?.email, p.target.email].find(isOneAddress) ?? null;
  if (!email) throw new RampartError('RAMPART_ERR_ACTION_NO_RECIPIENT', [p.target.user]);
  const cc: string[] = [];
  if (ctx.notify.ccManager && dir?.managerId) {
    const manager = await ctx.directoryUser(dir.app, dir.managerId);
    if (isOneAddress(manager?.email)) cc.push(manager.email);
  }
  for (const r of ctx.notify.additionalRecipients) cc.push(r);
  const seen = new Set([email.toLowerCase()]);
  return { to: [email], cc: cc.filter((c) => !seen.has(c.toLowerCase()) && seen.add(c.toLowerCase())) };
}

export async function composeMail(p: ActionParams, ctx: ActionContext): Promise<OutgoingMail> {
  const { to, cc } = await recipients(p, ctx);
  const a = p.alert;
  const vars: Record<string, string> = {
    user: p.target.user,
    app: p.target.app,
    reason: p.reason,
    'alert.title': a?.title ?? p.reason,
    'alert.description': a?.description ?? '',
    'alert.time': a?.time ?? new Date().toISOString(),
    'alert.severity': a?.severity ?? '',
  };
  const n = ctx.notify;
  const { html, text } = render(templates(n.htmlTemplatePath, n.textTemplatePath), {
    logoUrl: n.logoUrl,
    title: fillTokens(n.title, vars),
    content: fillTokens(n.content, vars),
  });
  return { messageId: `<${p.entryId}@rampart.governance>`, to, cc, subject: fillTokens(n.subject, vars).replace(/[\r\n]+/g, ' '), text, html };
}

export const notifyUser: Action = {
  name: 'notify_user',
  includes: [],
  suspends: false,
  revertWith: null,
  channel: () => 'smtp',
  async plan(p, ctx) {
    const { to, cc } = await recipients(p, ctx);
    return { summary: `email ${to.join(', ')}${cc.length ? ` (cc ${cc.join(', ')})` : ''}`, steps: [`SMTP to ${to.join(', ')}${cc.length ? ` cc ${cc.join(', ')}` : ''}`] };
  },
  async execute(p, ctx) {
    return ctx.notifier().send(await composeMail(p, ctx));
  },
};
