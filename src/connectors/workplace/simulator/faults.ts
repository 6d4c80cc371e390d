/**
 * @module simulator/faults
 * Fault injection, switchable per test and per surface. A rule fires with a seeded probability, or for the next
 * N matching requests (or both: "30% of the next 100"). HTTP surfaces (graph, scim, audit) take the first rule
 * that fires; the webhook sender asks per kind.
 */
import { Rng } from './rng.ts';

export const SURFACES = ['graph', 'scim', 'audit', 'webhook'] as const;
export type Surface = (typeof SURFACES)[number];

export const FAULT_KINDS = ['5xx', '429', 'throttle', 'slow', 'drop', 'malformed', 'duplicate', 'out_of_order'] as const;
/**
 * - `5xx`: HTTP 500/503 (Graph code 1/2 envelope, SCIM error body). Webhook: not applicable.
 * - `429`: HTTP 429 with Retry-After and a code-4 envelope.
 * - `throttle`: Graph throttling envelope, code 4, 17, 32 or 613 (`code`), with usage headers at 100%.
 * - `slow`: wait `delayMs` before answering (webhook: before sending).
 * - `drop`: destroy the socket without a response (webhook: abort mid-body).
 * - `malformed`: a 200 whose body is truncated JSON (webhook: an extra unparseable, correctly signed delivery).
 * - `duplicate` (webhook): deliver the body again after it was acknowledged.
 * - `out_of_order` (webhook): shuffle the order bodies are sent in.
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  surface: Surface | '*';
  kind: FaultKind;
  /** Chance each matching request is hit (seeded), default 1. */
  probability?: number;
  /** Fire at most this many times, then the rule retires. Default: unlimited. */
  times?: number;
  /** `5xx`: status (500 or 503; default 500). */
  status?: number;
  /** `throttle`: Graph code 4, 17, 32 or 613 (default 4). */
  code?: 4 | 17 | 32 | 613;
  /** `slow`: delay in ms (default 2000). */
  delayMs?: number;
  /** Only requests whose path contains this string / matches this regexp. */
  path?: string | RegExp;
}

export interface FaultRule extends Readonly<FaultSpec> {
  readonly id: number;
  fired: number;
}

export class FaultController {
  readonly #rng: Rng;
  #rules: FaultRule[] = [];
  #nextId = 1;
  readonly #firedByKind = new Map<string, number>();

  constructor(seed = 1) {
    this.#rng = new Rng(seed ^ 0xfa017);
  }

  /** Adds a rule; returns it (keep its id to remove it). */
  add(spec: FaultSpec): FaultRule {
    const rule: FaultRule = { ...spec, id: this.#nextId++, fired: 0 };
    this.#rules.push(rule);
    return rule;
  }

  /** Shorthand: the next `times` requests on `surface` get `kind`. */
  next(surface: Surface | '*', kind: FaultKind, times = 1, extra: Partial<FaultSpec> = {}): FaultRule {
    return this.add({ ...extra, surface, kind, times });
  }

  /** Shorthand: each request on `surface` gets `kind` with probability p (seeded). */
  random(surface: Surface | '*', kind: FaultKind, probability: number, extra: Partial<FaultSpec> = {}): FaultRule {
    return this.add({ ...extra, surface, kind, probability });
  }

  remove(id: number): void {
    this.#rules = this.#rules.filter((r) => r.id !== id);
  }

  /** Removes every rule, or the rules of one surface. */
  clear(surface?: Surface): void {
    this.#rules = surface ? this.#rules.filter((r) => r.surface !== surface) : [];
  }

  get rules(): readonly FaultRule[] {
    return this.#rules;
  }

  /** How many times faults fired, as `${surface}:${kind}` -> count. */
  stats(): Record<string, number> {
    return Object.fromEntries(this.#firedByKind);
  }

  #matches(r: FaultRule, surface: Surface, path: string, kinds?: readonly FaultKind[]): boolean {
    if (r.surface !== '*' && r.surface !== surface) return false;
    if (kinds && !kinds.includes(r.kind)) return false;
    if (r.path !== undefined && !(typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path))) return false;
    return true;
  }

  #fire(r: FaultRule, surface: Surface): boolean {
    if (r.times !== undefined && r.fired >= r.times) return false;
    if (r.probability !== undefined && r.probability < 1 && !(this.#rng.next() < r.probability)) return false;
    r.fired++;
    const k = `${surface}:${r.kind}`;
    this.#firedByKind.set(k, (this.#firedByKind.get(k) ?? 0) + 1);
    if (r.times !== undefined && r.fired >= r.times) this.remove(r.id);
    return true;
  }

  /** For an HTTP request: the first rule that fires, or null. */
  pick(surface: Surface, path: string, kinds?: readonly FaultKind[]): FaultRule | null {
    for (const r of [...this.#rules]) if (this.#matches(r, surface, path, kinds) && this.#fire(r, surface)) return r;
    return null;
  }

  /** For the webhook sender: does a rule of `kind` fire now? Returns the rule (for its options) or null. */
  fires(surface: Surface, kind: FaultKind, path = ''): FaultRule | null {
    return this.pick(surface, path, [kind]);
  }
}
