/**
 * @module api/auth/passwords
 * Password hashing with scrypt (node:crypto), parameters stored in the hash so they can be raised later,
 * and constant-time comparison. Format: `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { RampartError } from '../../core/errors.ts';

const KEY_LEN = 32;
/** OWASP minimum for scrypt is N=2^17 with r=8 at p=1 on servers; 2^15 keeps sign-in under ~100 ms on small boxes. */
export const DEFAULT_SCRYPT_COST = 2 ** 15;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const derive = (password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const opts: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });

export async function hashPassword(password: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost, 8, 1);
  return `scrypt$${cost}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Constant-time check; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const expected = Buffer.from(parts[5], 'base64url');
  const actual = await derive(password, Buffer.from(parts[4], 'base64url'), N, r, p);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A hash of nothing, verified against for unknown accounts so timing does not reveal which emails exist. */
let dummy: Promise<string> | null = null;
export const dummyHash = (cost = DEFAULT_SCRYPT_COST): Promise<string> => (dummy ??= hashPassword(randomBytes(16).toString('hex'), cost));

export function checkPasswordStrength(password: string, email: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new RampartError('RAMPART_ERR_API_WEAK_PASSWORD', [`at least ${MIN_PASSWORD_LENGTH} characters`]);
  if (password.length > MAX_PASSWORD_LENGTH) throw new RampartError('RAMPART_ERR_API_WEAK_PASSWORD', [`at most ${MAX_PASSWORD_LENGTH} characters`]);
  const local = email.split('@')[0].toLowerCase();
  if (local.length >= 3 && password.toLowerCase().includes(local)) throw new RampartError('RAMPART_ERR_API_WEAK_PASSWORD', ['it contains the account name']);
  if (new Set(password).size < 5) throw new RampartError('RAMPART_ERR_API_WEAK_PASSWORD', ['too few distinct characters']);
}

/** A random password for bootstrap and admin-created accounts: 24 characters of base64url (144 bits). */
export const generatePassword = (): string => randomBytes(18).toString('base64url');
