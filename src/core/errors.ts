/**
 * @module core/errors
 * One catalogue of every error Rampart reports. Each code is one record (no parallel arrays), documented
 * in docs/errors.md; test/errors.test.ts keeps the two in step in both directions.
 * Codes follow RAMPART_ERR_<AREA>_<WHAT>.
 */

export interface ErrorSpec {
  /** Message template; `%s` placeholders are filled from the args in order. */
  readonly message: string;
  /** HTTP status when the error crosses the API. */
  readonly status: number;
}

const spec = (message: string, status = 500): ErrorSpec => ({ message, status });

export const ERRORS = {
  // CONFIG
  RAMPART_ERR_CONFIG_INVALID: spec('configuration is invalid: %s', 400),
  RAMPART_ERR_CONFIG_UNREADABLE: spec('cannot read configuration file %s: %s', 400),
  RAMPART_ERR_CONFIG_SECRET_MISSING: spec('secret %s is not set (expected in %s)', 400),
  // INPUT (files, scan, NDJSON)
  RAMPART_ERR_INPUT_MALFORMED_JSON: spec('line is not valid JSON: %s', 400),
  RAMPART_ERR_INPUT_NOT_OBJECT: spec('line is JSON but not an object (got %s)', 400),
  RAMPART_ERR_INPUT_UNKNOWN_FORMAT: spec('no registered input format recognises this record', 400),
  RAMPART_ERR_INPUT_INVALID_RECORD: spec('record does not match the %s format: %s', 400),
  RAMPART_ERR_INPUT_LINE_TOO_LONG: spec('line is %s bytes, above the limit of %s bytes', 413),
  RAMPART_ERR_INPUT_INVALID_UTF8: spec('line is not valid UTF-8', 400),
  RAMPART_ERR_INPUT_UNREADABLE: spec('cannot read input %s: %s', 400),
  RAMPART_ERR_INPUT_SORT_FAILED: spec('cannot %s the time sort\'s temporary file in %s: %s', 500),
  RAMPART_ERR_INPUT_TOO_DEEP: spec('line nests JSON deeper than %s levels', 400),
  RAMPART_ERR_INPUT_REJECTS_UNWRITABLE: spec('cannot write rejected lines to %s: %s', 400),
  // NORM (connector normalizers)
  RAMPART_ERR_NORM_FAILED: spec('cannot normalize %s event: %s', 400),
  // ENRICH
  RAMPART_ERR_ENRICH_DB_UNAVAILABLE: spec('enrichment database %s cannot be opened: %s', 500),
  RAMPART_ERR_ENRICH_RANGE_OVERLAP: spec('IP range %s (%s) overlaps range %s (%s)', 409),
  RAMPART_ERR_ENRICH_RANGE_INVALID: spec('IP range %s has an invalid subnet %s', 400),
  RAMPART_ERR_ENRICH_FEED_FAILED: spec('feed %s cannot be loaded: %s', 502),
  RAMPART_ERR_ENRICH_FEED_FORMAT: spec('feed %s line %s is not an IP address or CIDR: %s', 400),
  // STORE
  RAMPART_ERR_STORE_UNAVAILABLE: spec('store %s is unavailable: %s', 503),
  RAMPART_ERR_STORE_MIGRATION_FAILED: spec('store migration %s failed: %s', 500),
  RAMPART_ERR_STORE_WRITE_FAILED: spec('store write failed: %s', 503),
  RAMPART_ERR_STORE_NOT_FOUND: spec('%s %s not found', 404),
  RAMPART_ERR_STORE_INVALID_QUERY: spec('store query is invalid: %s', 400),
  RAMPART_ERR_STORE_BACKUP_FAILED: spec('cannot back up store %s to %s: %s', 500),
  // CONN (connectors)
  RAMPART_ERR_CONN_SIGNATURE_MISSING: spec('webhook delivery has no %s header', 401),
  RAMPART_ERR_CONN_SIGNATURE_INVALID: spec('webhook signature does not match the body', 403),
  RAMPART_ERR_CONN_VERIFY_TOKEN_MISMATCH: spec('webhook verification token does not match', 403),
  RAMPART_ERR_CONN_BODY_TOO_LARGE: spec('request body is larger than %s bytes', 413),
  RAMPART_ERR_CONN_BAD_PAYLOAD: spec('webhook payload is invalid: %s', 400),
  RAMPART_ERR_CONN_AUTH_FAILED: spec('connector %s: the API rejected the credentials (%s)', 401),
  RAMPART_ERR_CONN_PERMISSION_DENIED: spec('connector %s: the integration lacks a permission (%s)', 403),
  RAMPART_ERR_CONN_THROTTLED: spec('connector %s is throttled by the API (%s)', 429),
  RAMPART_ERR_CONN_UPSTREAM: spec('connector %s: upstream error %s', 502),
  // DETECT
  RAMPART_ERR_DETECT_UNKNOWN: spec('unknown detection %s', 400),
  RAMPART_ERR_DETECT_FAILED: spec('detection %s failed on activity %s: %s', 500),
  RAMPART_ERR_DETECT_DUPLICATE: spec('a detection with id %s is already registered', 400),
  RAMPART_ERR_DETECT_STATE_INVALID: spec('saved detection state for %s cannot be loaded: %s', 400),
  // POLICY
  RAMPART_ERR_POLICY_INVALID: spec('policy %s is invalid: %s', 400),
  // API
  RAMPART_ERR_API_NOT_FOUND: spec('route %s not found', 404),
  RAMPART_ERR_API_BAD_REQUEST: spec('bad request: %s', 400),
  RAMPART_ERR_API_UNAUTHENTICATED: spec('authentication required', 401),
  RAMPART_ERR_API_FORBIDDEN: spec('role %s may not %s', 403),
  RAMPART_ERR_API_INTERNAL: spec('internal error', 500),
  RAMPART_ERR_API_INVALID_CREDENTIALS: spec('email or password is incorrect', 401),
  RAMPART_ERR_API_INVALID_TOKEN: spec('API token is unknown, revoked or expired', 401),
  RAMPART_ERR_API_ACCOUNT_LOCKED: spec('account %s is locked after repeated failed sign-ins until %s', 423),
  RAMPART_ERR_API_RATE_LIMITED: spec('too many sign-in attempts from %s; retry in %s seconds', 429),
  RAMPART_ERR_API_CSRF: spec('cross-site request refused: %s', 403),
  RAMPART_ERR_API_CONFLICT: spec('%s %s already exists', 409),
  RAMPART_ERR_API_UNAVAILABLE: spec('%s is not enabled in this service', 503),
  RAMPART_ERR_API_TOO_MANY_STREAMS: spec('too many live alert streams (%s); close one and retry', 429),
  RAMPART_ERR_API_WEAK_PASSWORD: spec('password is too weak: %s', 400),
  RAMPART_ERR_API_PASSWORD_CHANGE_REQUIRED: spec('this account has a one-time password: change it first (POST /api/auth/password)', 403),
  RAMPART_ERR_API_BODY_TOO_LARGE: spec('request body is larger than %s bytes', 413),
  RAMPART_ERR_API_UNSUPPORTED_MEDIA_TYPE: spec('request body of type %s is not accepted here (send application/json)', 415),
  RAMPART_ERR_API_ROUTE_UNGUARDED: spec('route %s %s declares no access requirement (every API route must)', 500),
  // ACTION
  RAMPART_ERR_ACTION_FAILED: spec('action %s on %s failed: %s', 502),
  // DELIVER (alert delivery: email, webhook, syslog)
  RAMPART_ERR_DELIVER_FAILED: spec('delivery to %s failed: %s', 502),
  RAMPART_ERR_DELIVER_REJECTED: spec('destination %s rejected the alert permanently: %s', 502),
  RAMPART_ERR_DELIVER_TIMEOUT: spec('destination %s did not answer within %s ms', 504),
  RAMPART_ERR_DELIVER_QUEUE_FULL: spec('delivery queue of %s is full (%s waiting); alert %s dropped', 503),
  RAMPART_ERR_DELIVER_QUOTA_EXCEEDED: spec('daily email limit of %s messages reached for %s', 429),
  RAMPART_ERR_ACTION_AUTH_FAILED: spec('provider %s refused action %s (HTTP %s): %s', 502),
  RAMPART_ERR_ACTION_TARGET_NOT_FOUND: spec('provider %s has no user %s (HTTP %s): %s', 404),
  RAMPART_ERR_ACTION_RETRIES_EXHAUSTED: spec('action %s on %s still failing after %s attempts: %s', 502),
  RAMPART_ERR_ACTION_PROVIDER_NOT_CONFIGURED: spec('governance %s is not configured (%s)', 400),
  RAMPART_ERR_ACTION_NO_RECIPIENT: spec('cannot notify %s: no email address is known for the user', 400),
  RAMPART_ERR_ACTION_PROTECTED_ACCOUNT: spec('account %s is protected (governance.protectedAccounts); %s', 403),
  RAMPART_ERR_ACTION_ENTRY_NOT_FOUND: spec('governance log entry %s not found', 404),
  RAMPART_ERR_ACTION_INVALID_STATE: spec('governance log entry %s is %s: %s', 409),
  // PROXY
  RAMPART_ERR_PROXY_UPSTREAM: spec('proxy upstream %s failed: %s', 502),
  RAMPART_ERR_PROXY_POLICY_INVALID: spec('session policy %s is invalid: %s', 400),
  // POSTURE (security posture checks and score)
  RAMPART_ERR_POSTURE_UNKNOWN_CHECK: spec('unknown posture check %s', 404),
  RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE: spec('unknown app instance %s (known: %s)', 404),
  RAMPART_ERR_POSTURE_CHECK_FAILED: spec('posture check %s failed on %s: %s', 500),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function formatMessage(code: ErrorCode, args: readonly unknown[]): string {
  let i = 0;
  return ERRORS[code].message.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}

/** The one error class. `code` is stable and documented; `message` is for people. */
export class RampartError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly args: readonly unknown[];

  constructor(code: ErrorCode, args: readonly unknown[] = [], options?: { cause?: unknown }) {
    super(formatMessage(code, args), options);
    this.name = 'RampartError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.args = args;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const isRampartError = (e: unknown): e is RampartError => e instanceof RampartError;
