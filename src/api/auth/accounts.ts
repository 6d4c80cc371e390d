/**
 * @module api/auth/accounts
 * Local accounts, sign-in sessions and API tokens, kept as Store documents (kinds `api_account`,
 * `api_session`, `api_token`) so both drivers hold them with no schema change. Secrets are never stored:
 * passwords as scrypt hashes, session ids and token secrets as SHA-256 digests (they are 256-bit random, so a
 * fast digest is enough), compared in constant time.
 */
import { CONTROL_CHARS } from '../../core/text.ts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import type { Store } from '../../store/store.ts';
import { KeyedLock } from '../lock.ts';
import { ROLES, roleAllows, type Role } from '../route.ts';
import { checkPasswordStrength, DEFAULT_SCRYPT_COST, dummyHash, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import type { Principal } from './principal.ts';

export const ACCOUNT_KIND = 'api_account';
export const SESSION_KIND = 'api_session';
export const TOKEN_KIND = 'api_token';
/** The account created at first start when none exists. */
export const BOOTSTRAP_EMAIL = 'admin@localhost';

/** An account's address: one `@`, no white space and no control characters (an ESC in a listed address drove the terminal). */
export const EmailSchema = z
  .string()
  .min(3)
  .max(320)
  .regex(new RegExp(`^[^\\s@${CONTROL_CHARS}]+@[^\\s@${CONTROL_CHARS}]+$`), 'an email address')
  .transform((s) => s.toLowerCase());

export interface Account {
  email: string;
  role: Role;
  passwordHash: string;
  disabled: boolean;
  failedLogins: number;
  lockedUntil: string | null;
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

/** What the API shows of an account (never the hash). */
export const AccountViewSchema = z.object({
  email: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  locked: z.boolean(),
  lockedUntil: z.string().nullable(),
  failedLogins: z.number().int(),
  mustChangePassword: z.boolean(),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
});
export type AccountView = z.output<typeof AccountViewSchema>;

interface Session {
  email: string;
  csrf: string;
  createdAt: string;
  expiresAt: string;
  ip: string;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  secretHash: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

export const TokenViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});

export interface AccountServiceOptions {
  store: Store;
  sessionTtlSecs: number;
  lockoutThreshold: number;
  lockoutSecs: number;
  scryptCost?: number;
  now?: () => number;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const sameHex = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
/** Token last-used times are written at most this often (a busy integration must not write on every call). */
const LAST_USED_EVERY_MS = 60_000;
/** Addresses without an account whose failed sign-ins are remembered for the lockout (see #phantomFailure). */
const MAX_PHANTOM_LOCKOUTS = 10_000;
export const TOKEN_PREFIX = 'rmp_';

export class AccountService {
  /**
   * Moves whenever a credential may have stopped working or lost rights here (sign-out, dropped sessions, a
   * revoked token, an account changed or deleted): long-lived listeners (the live alert stream) check again.
   */
  #credentialsEpoch = 0;
  get credentialsEpoch(): number {
    return this.#credentialsEpoch;
  }

  readonly #o: AccountServiceOptions;
  readonly #cost: number;
  readonly #now: () => number;
  readonly #lock = new KeyedLock();

  constructor(o: AccountServiceOptions) {
    this.#o = o;
    this.#cost = o.scryptCost ?? DEFAULT_SCRYPT_COST;
    this.#now = o.now ?? Date.now;
  }

  #iso(offsetMs = 0): string {
    return new Date(this.#now() + offsetMs).toISOString();
  }

  view(a: Account): AccountView {
    const locked = a.lockedUntil !== null && Date.parse(a.lockedUntil) > this.#now();
    return {
      email: a.email,
      role: a.role,
      disabled: a.disabled,
      locked,
      lockedUntil: locked ? a.lockedUntil : null,
      failedLogins: a.failedLogins,
      mustChangePassword: a.mustChangePassword,
      createdAt: a.createdAt,
      lastLoginAt: a.lastLoginAt,
    };
  }

  // ---------- accounts ----------

  async get(email: string): Promise<Account | null> {
    return (await this.#o.store.getDoc<Account>(ACCOUNT_KIND, email.toLowerCase()))?.body ?? null;
  }

  async list(): Promise<Account[]> {
    return (await this.#o.store.listDocs<Account>(ACCOUNT_KIND)).map((d) => d.body);
  }

  async #put(a: Account): Promise<void> {
    await this.#o.store.putDoc({ kind: ACCOUNT_KIND, id: a.email, body: a, updatedAt: a.updatedAt });
  }

  /** Creates an account; without a password one is generated and returned (shown once). */
  async create(input: { email: string; role: Role; password?: string; mustChangePassword?: boolean }): Promise<{ account: Account; password: string | null }> {
    // The API's rules for every caller (the CLI too): an address the API refuses could never sign in or be
    // managed, yet counted as an enabled admin for the last-admin guard.
    const parsed = EmailSchema.safeParse(input.email);
    if (!parsed.success) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`email: ${parsed.error.issues[0]?.message ?? 'invalid'}`]);
    const email = parsed.data;
    return this.#lock.run(`acct:${email}`, async () => {
      if (await this.get(email)) throw new RampartError('RAMPART_ERR_API_CONFLICT', ['account', email]);
      const generated = input.password === undefined ? generatePassword() : null;
      const password = input.password ?? generated!;
      if (!generated) checkPasswordStrength(password, email);
      const now = this.#iso();
      const account: Account = {
        email,
        role: input.role,
        passwordHash: await hashPassword(password, this.#cost),
        disabled: false,
        failedLogins: 0,
        lockedUntil: null,
        mustChangePassword: input.mustChangePassword ?? generated !== null,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: null,
      };
      // Insert only if absent, atomically where the store can (two processes creating one address both
      // reported success, the second silently replacing the first's account).
      const doc = { kind: ACCOUNT_KIND, id: account.email, body: account, updatedAt: account.updatedAt };
      if (this.#o.store.putDocIf) {
        if (!(await this.#o.store.putDocIf(doc, null))) throw new RampartError('RAMPART_ERR_API_CONFLICT', ['account', email]);
      } else await this.#o.store.putDoc(doc);
      return { account, password: generated };
    });
  }

  async update(email: string, change: { role?: Role; disabled?: boolean }): Promise<Account> {
    return this.#lock.run(`acct:${email}`, async () => {
      const a = await this.#mustGet(email);
      const next: Account = { ...a, ...(change.role ? { role: change.role } : {}), ...(change.disabled !== undefined ? { disabled: change.disabled } : {}), updatedAt: this.#iso() };
      await this.#guardLastAdmin(a, next);
      await this.#put(next);
      if (next.disabled || next.role !== a.role) await this.#dropSessions(email);
      return next;
    });
  }

  async delete(email: string): Promise<void> {
    await this.#lock.run(`acct:${email}`, async () => {
      const a = await this.#mustGet(email);
      await this.#guardLastAdmin(a, null);
      await this.#o.store.deleteDoc(ACCOUNT_KIND, a.email);
      await this.#dropSessions(a.email);
    });
  }

  async unlock(email: string): Promise<Account> {
    return this.#lock.run(`acct:${email}`, async () => {
      const a = await this.#mustGet(email);
      const next = { ...a, failedLogins: 0, lockedUntil: null, updatedAt: this.#iso() };
      await this.#put(next);
      return next;
    });
  }

  /** Sets a new password (checked for strength) and ends every other session of the account. */
  async setPassword(email: string, password: string, keepSessionHash?: string): Promise<void> {
    await this.#lock.run(`acct:${email}`, async () => {
      const a = await this.#mustGet(email);
      checkPasswordStrength(password, a.email);
      await this.#put({ ...a, passwordHash: await hashPassword(password, this.#cost), mustChangePassword: false, updatedAt: this.#iso() });
      await this.#dropSessions(a.email, keepSessionHash);
    });
  }

  /** Resets to a generated password (shown once), for the CLI. */
  async resetPassword(email: string): Promise<string> {
    const password = generatePassword();
    await this.#lock.run(`acct:${email}`, async () => {
      const a = await this.#mustGet(email);
      await this.#put({ ...a, passwordHash: await hashPassword(password, this.#cost), mustChangePassword: true, failedLogins: 0, lockedUntil: null, updatedAt: this.#iso() });
      await this.#dropSessions(a.email);
    });
    return password;
  }

  async #mustGet(email: string): Promise<Account> {
    const a = await this.get(email);
    if (!a) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['account', email]);
    return a;
  }

  /** The last enabled admin cannot be demoted, disabled or deleted (nobody could administer Rampart). */
  async #guardLastAdmin(before: Account, after: Account | null): Promise<void> {
    if (before.role !== 'admin' || before.disabled) return;
    if (after && after.role === 'admin' && !after.disabled) return;
    const admins = (await this.list()).filter((a) => a.role === 'admin' && !a.disabled && a.email !== before.email);
    if (admins.length === 0) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['the last enabled admin account cannot be demoted, disabled or deleted']);
  }

  // ---------- sign-in ----------

  /**
   * Checks the password; counts failures and locks the account after `lockoutThreshold` in a row. A locked
   * account is refused even with the right password until `lockedUntil`. Unknown emails cost the same time.
   */
  async login(emailInput: string, password: string, ip: string): Promise<{ account: Account; sessionToken: string; csrf: string; expiresAt: string }> {
    const account = await this.checkPassword(emailInput, password);
    const now = this.#iso();
    const sessionToken = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const expiresAt = this.#iso(this.#o.sessionTtlSecs * 1000);
    const session: Session = { email: account.email, csrf, createdAt: now, expiresAt, ip };
    await this.#o.store.putDoc({ kind: SESSION_KIND, id: sha256(sessionToken), body: session, updatedAt: now });
    void this.#pruneSessions().catch(() => undefined);
    return { account, sessionToken, csrf, expiresAt };
  }

  /** The password check of sign-in and of password change: failures count towards the lockout. */
  async checkPassword(emailInput: string, password: string): Promise<Account> {
    const email = emailInput.toLowerCase();
    return this.#lock.run(`acct:${email}`, async () => {
      const a = await this.get(email);
      if (!a || a.disabled) {
        await verifyPassword(password, await dummyHash(this.#cost));
        this.#phantomFailure(email);
      }
      if (a.lockedUntil && Date.parse(a.lockedUntil) > this.#now()) throw new RampartError('RAMPART_ERR_API_ACCOUNT_LOCKED', [a.email, a.lockedUntil]);
      if (!(await verifyPassword(password, a.passwordHash))) {
        const failed = a.failedLogins + 1;
        const lock = failed >= this.#o.lockoutThreshold;
        const until = this.#iso(this.#o.lockoutSecs * 1000);
        await this.#put({ ...a, failedLogins: lock ? 0 : failed, lockedUntil: lock ? until : a.lockedUntil, updatedAt: this.#iso() });
        if (lock) throw new RampartError('RAMPART_ERR_API_ACCOUNT_LOCKED', [a.email, until]);
        throw new RampartError('RAMPART_ERR_API_INVALID_CREDENTIALS');
      }
      const now = this.#iso();
      const account = { ...a, failedLogins: 0, lockedUntil: null, lastLoginAt: now, updatedAt: now };
      await this.#put(account);
      return account;
    });
  }

  /**
   * Sign-in failures for an address with no usable account are counted and locked out exactly like a real
   * account's, so the 423 cannot tell which addresses have accounts. In memory and bounded (the oldest entries
   * go first): a restart forgets them, as it cannot matter for an account that does not exist.
   */
  readonly #phantoms = new Map<string, { failed: number; lockedUntilMs: number }>();
  #phantomFailure(email: string): never {
    const now = this.#now();
    const p = this.#phantoms.get(email) ?? { failed: 0, lockedUntilMs: 0 };
    this.#phantoms.delete(email);
    this.#phantoms.set(email, p); // newest last
    if (this.#phantoms.size > MAX_PHANTOM_LOCKOUTS) this.#phantoms.delete(this.#phantoms.keys().next().value!);
    if (p.lockedUntilMs > now) throw new RampartError('RAMPART_ERR_API_ACCOUNT_LOCKED', [email, new Date(p.lockedUntilMs).toISOString()]);
    p.failed++;
    if (p.failed >= this.#o.lockoutThreshold) {
      p.failed = 0;
      p.lockedUntilMs = now + this.#o.lockoutSecs * 1000;
      throw new RampartError('RAMPART_ERR_API_ACCOUNT_LOCKED', [email, new Date(p.lockedUntilMs).toISOString()]);
    }
    throw new RampartError('RAMPART_ERR_API_INVALID_CREDENTIALS');
  }

  async authenticateSession(token: string): Promise<Principal | null> {
    if (!token || token.length > 128) return null;
    const hash = sha256(token);
    const doc = await this.#o.store.getDoc<Session>(SESSION_KIND, hash);
    if (!doc) return null;
    const s = doc.body;
    if (Date.parse(s.expiresAt) <= this.#now()) {
      await this.#o.store.deleteDoc(SESSION_KIND, hash);
      return null;
    }
    const a = await this.get(s.email);
    if (!a || a.disabled) return null;
    return { kind: 'session', id: a.email, name: a.email, role: a.role, csrf: s.csrf, sessionHash: hash, mustChangePassword: a.mustChangePassword };
  }

  async logout(sessionHash: string): Promise<void> {
    await this.#o.store.deleteDoc(SESSION_KIND, sessionHash);
    this.#credentialsEpoch++;
  }

  async #dropSessions(email: string, keep?: string): Promise<void> {
    for (const d of await this.#o.store.listDocs<Session>(SESSION_KIND)) {
      if (d.body.email === email && d.id !== keep) await this.#o.store.deleteDoc(SESSION_KIND, d.id);
    }
    this.#credentialsEpoch++; // after the deletes: a check made now sees them
  }

  async #pruneSessions(): Promise<void> {
    const now = this.#now();
    for (const d of await this.#o.store.listDocs<Session>(SESSION_KIND)) {
      if (Date.parse(d.body.expiresAt) <= now) await this.#o.store.deleteDoc(SESSION_KIND, d.id);
    }
  }

  // ---------- API tokens ----------

  /** Creates a token scoped to a role no higher than its creator's; the secret is returned once. */
  async createToken(input: { name: string; role: Role; createdBy: Principal; expiresInDays?: number }): Promise<{ token: string; record: TokenRecord }> {
    if (!roleAllows(input.createdBy.role, input.role)) throw new RampartError('RAMPART_ERR_API_FORBIDDEN', [input.createdBy.role, `create a token with role ${input.role}`]);
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const now = this.#iso();
    const record: TokenRecord = {
      id,
      name: input.name,
      role: input.role,
      secretHash: sha256(secret),
      createdBy: input.createdBy.kind === 'session' ? input.createdBy.id : `token:${input.createdBy.id}`,
      createdAt: now,
      expiresAt: input.expiresInDays ? this.#iso(input.expiresInDays * 86_400_000) : null,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    };
    await this.#o.store.putDoc({ kind: TOKEN_KIND, id, body: record, updatedAt: now });
    return { token: `${TOKEN_PREFIX}${id}_${secret}`, record };
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.#o.store.listDocs<TokenRecord>(TOKEN_KIND)).map((d) => d.body).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  async revokeToken(id: string, by: string): Promise<TokenRecord> {
    return this.#lock.run(`token:${id}`, async () => {
      const doc = await this.#o.store.getDoc<TokenRecord>(TOKEN_KIND, id);
      if (!doc) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['token', id]);
      if (doc.body.revokedAt) return doc.body;
      const record = { ...doc.body, revokedAt: this.#iso(), revokedBy: by };
      await this.#o.store.putDoc({ kind: TOKEN_KIND, id, body: record, updatedAt: record.revokedAt });
      this.#credentialsEpoch++;
      return record;
    });
  }

  async authenticateToken(bearer: string): Promise<Principal | null> {
    if (!bearer.startsWith(TOKEN_PREFIX) || bearer.length > 256) return null;
    const rest = bearer.slice(TOKEN_PREFIX.length);
    const sep = rest.indexOf('_');
    if (sep <= 0) return null;
    const id = rest.slice(0, sep);
    const secret = rest.slice(sep + 1);
    if (!/^[0-9a-f]{16}$/.test(id)) return null;
    const doc = await this.#o.store.getDoc<TokenRecord>(TOKEN_KIND, id);
    if (!doc) return null;
    const t = doc.body;
    if (!sameHex(sha256(secret), t.secretHash)) return null;
    if (t.revokedAt || (t.expiresAt && Date.parse(t.expiresAt) <= this.#now())) return null;
    // A token acts no higher than its creator does now: a disabled, deleted or demoted creator takes it down too.
    const creatorRole = await this.#creatorRole(t.createdBy, 0);
    if (creatorRole === null) return null;
    const role = roleAllows(creatorRole, t.role) ? t.role : creatorRole;
    if (!t.lastUsedAt || this.#now() - Date.parse(t.lastUsedAt) >= LAST_USED_EVERY_MS) {
      await this.#lock.run(`token:${id}`, async () => {
        const cur = await this.#o.store.getDoc<TokenRecord>(TOKEN_KIND, id);
        if (cur && !cur.body.revokedAt) await this.#o.store.putDoc({ kind: TOKEN_KIND, id, body: { ...cur.body, lastUsedAt: this.#iso() }, updatedAt: this.#iso() });
      });
    }
    return { kind: 'token', id: t.id, name: t.name, role, createdBy: t.createdBy };
  }

  /**
   * The role a token's creator holds now: the account's (null when it is gone or disabled), or for a token made
   * by a token (`token:<id>`) the lower of that token's role and its own creator's (null when it is revoked,
   * expired or gone). The chain is bounded, so a cycle cannot loop.
   */
  async #creatorRole(createdBy: string, depth: number): Promise<Role | null> {
    if (depth > 8) return null;
    if (createdBy.startsWith('token:')) {
      const parent = (await this.#o.store.getDoc<TokenRecord>(TOKEN_KIND, createdBy.slice('token:'.length)))?.body;
      if (!parent || parent.revokedAt || (parent.expiresAt && Date.parse(parent.expiresAt) <= this.#now())) return null;
      const above = await this.#creatorRole(parent.createdBy, depth + 1);
      if (above === null) return null;
      return roleAllows(above, parent.role) ? parent.role : above;
    }
    const a = await this.get(createdBy);
    return a && !a.disabled ? a.role : null;
  }

  // ---------- first start ----------

  /**
   * When no account exists, creates `admin@localhost` (admin) with a one-time generated password and hands it
   * to `print` (stdout, never the logger). Returns the password, or null when accounts already exist.
   */
  async bootstrap(print: (line: string) => void): Promise<string | null> {
    if ((await this.list()).length > 0) return null;
    const { password } = await this.create({ email: BOOTSTRAP_EMAIL, role: 'admin' });
    print(
      `\nRampart first start: no account existed, so one was created.\n  email:    ${BOOTSTRAP_EMAIL}\n  password: ${password}\n` +
        `This password is shown once and must be changed at first sign-in (or run \`rampart users create --admin <email>\`).\n\n`,
    );
    return password;
  }
}
