/**
 * `rampart users`: local accounts of the API and console, from the server's shell (first admin, lost passwords,
 * lockouts). Passwords are generated and printed once, or read from stdin with --password-stdin; never taken
 * as an argument (it would sit in the shell history and the process list).
 */
import type { Command } from 'commander';
import { AccountService } from '../../api/auth/accounts.ts';
import { ROLES, type Role } from '../../api/route.ts';
import { AuditLog } from '../../api/audit.ts';
import { RampartError } from '../../core/errors.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/store.ts';
import { loadConfigOption } from '../config-option.ts';

interface Common {
  config?: string;
}

async function withAccounts<T>(o: Common, fn: (a: AccountService, audit: AuditLog, store: Store) => Promise<T>): Promise<T> {
  const loaded = loadConfigOption(o.config);
  const store = await openStore(loaded.config.store, { baseDir: loaded.baseDir });
  try {
    const api = loaded.config.api;
    const accounts = new AccountService({ store, sessionTtlSecs: api.sessionTtlSecs, lockoutThreshold: api.lockoutThreshold, lockoutSecs: api.lockoutSecs });
    return await fn(accounts, new AuditLog(store), store);
  } finally {
    await store.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const cliAudit = (audit: AuditLog, action: string, target: string, details: Record<string, unknown> = {}) =>
  audit.record({
    actor: `cli:${process.env.USER ?? 'unknown'}`,
    actorKind: 'system',
    role: null,
    ip: null,
    userAgent: 'rampart-cli',
    method: 'CLI',
    route: `rampart users ${action.split('.')[1] ?? action}`,
    status: 0,
    outcome: 'success',
    action,
    target,
    details,
  });

export function register(program: Command): void {
  const users = program.command('users').description('local accounts of the API and console (sign-in, roles)');

  users
    .command('create')
    .description('create an account; prints a generated one-time password unless --password-stdin')
    .argument('[email]', 'account email')
    .option('--admin <email>', 'create an admin account (the first admin at install)')
    .option('--role <role>', `role: ${ROLES.join(', ')}`, 'viewer')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .option('-c, --config <file>', 'config file (store)')
    .action(async (emailArg: string | undefined, o: Common & { admin?: string; role: string; passwordStdin?: boolean }) => {
      const email = (o.admin ?? emailArg)?.toLowerCase();
      if (!email) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['give an email: rampart users create --admin <email> (or <email> --role <role>)']);
      const role = (o.admin ? 'admin' : o.role) as Role;
      if (!ROLES.includes(role)) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`--role must be one of ${ROLES.join(', ')}`]);
      const password = o.passwordStdin ? await readStdin() : undefined;
      await withAccounts(o, async (accounts, audit) => {
        const r = await accounts.create({ email, role, password });
        await cliAudit(audit, 'account.create', email, { role });
        process.stdout.write(`created ${role} account ${email}\n`);
        if (r.password) process.stdout.write(`one-time password (shown once, change it at first sign-in): ${r.password}\n`);
      });
    });

  users
    .command('list')
    .description('list accounts (email, role, disabled, locked)')
    .option('-c, --config <file>', 'config file (store)')
    .action(async (o: Common) => {
      await withAccounts(o, async (accounts) => {
        for (const a of await accounts.list()) {
          const v = accounts.view(a);
          process.stdout.write(`${v.email}\t${v.role}${v.disabled ? '\tdisabled' : ''}${v.locked ? `\tlocked until ${v.lockedUntil}` : ''}\n`);
        }
      });
    });

  users
    .command('reset-password')
    .description('set a new generated one-time password (printed once) and end the account’s sessions')
    .argument('<email>')
    .option('-c, --config <file>', 'config file (store)')
    .action(async (email: string, o: Common) => {
      await withAccounts(o, async (accounts, audit) => {
        const password = await accounts.resetPassword(email.toLowerCase());
        await cliAudit(audit, 'account.reset_password', email.toLowerCase());
        process.stdout.write(`one-time password for ${email.toLowerCase()} (shown once): ${password}\n`);
      });
    });

  users
    .command('unlock')
    .description('unlock an account locked by failed sign-ins')
    .argument('<email>')
    .option('-c, --config <file>', 'config file (store)')
    .action(async (email: string, o: Common) => {
      await withAccounts(o, async (accounts, audit) => {
        await accounts.unlock(email.toLowerCase());
        await cliAudit(audit, 'account.unlock', email.toLowerCase());
        process.stdout.write(`unlocked ${email.toLowerCase()}\n`);
      });
    });
}
