/** @module api/auth/principal  Who is calling: a person's sign-in session or a machine's API token. */
import type { Role } from '../route.ts';

export interface Principal {
  kind: 'session' | 'token';
  /** Account email for sessions; token id for tokens. */
  id: string;
  /** For tokens: the token's name; for sessions: the email. */
  name: string;
  role: Role;
  /** Sessions only: the CSRF token bound to the session, and the session's hashed id. */
  csrf?: string;
  sessionHash?: string;
  /** Sessions only: the account still has a one-time password; only sign-out, `me` and password change are allowed. */
  mustChangePassword?: boolean;
  /** Tokens only: the account that created the token. */
  createdBy?: string;
}

/** How a principal is written in audit records and alert history: `alice@x` or `token:<name>(<id>)`. */
export const principalLabel = (p: Principal | null): string =>
  !p ? 'anonymous' : p.kind === 'session' ? p.id : `token:${p.name}(${p.id})`;
