/**
 * @module enrich/lru
 * A bounded cache with approximate LRU eviction, tuned for the enrichment hot path: two generations of
 * Maps. Reads hit the young Map (one lookup), or the old one (then the entry is promoted); when the young
 * Map is full it becomes the old one and the previous old one is dropped. Every operation is O(1) with no
 * per-hit reordering, and entries used within the last `capacity / 2` insertions are always kept.
 */
export class LruCache<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  readonly #half: number;

  constructor(readonly capacity: number) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    const v = this.#young.get(key);
    if (v !== undefined || this.capacity === 0) return v;
    const o = this.#old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    if (this.#young.size >= this.#half && !this.#young.has(key)) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}

/** One open-addressing table of IPv4 keys (linear probing), the generation of Ipv4Cache. */
class V4Table<V> {
  readonly keys: Uint32Array;
  readonly vals: (V | undefined)[];
  readonly mask: number;
  size = 0;

  constructor(slots: number) {
    this.keys = new Uint32Array(slots);
    this.vals = new Array<V | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }

  /** Index of `key`, or of the empty slot where it would go. */
  find(key: number): number {
    let i = Math.imul(key, 0x9e3779b1) >>> 0 & this.mask;
    while (this.vals[i] !== undefined && this.keys[i] !== key) i = (i + 1) & this.mask;
    return i;
  }
}

/**
 * The same two-generation scheme as LruCache, for IPv4 addresses as 32-bit numbers in typed-array hash
 * tables: no string hashing and fewer memory accesses than a Map on the hot path.
 */
export class Ipv4Cache<V> {
  #young: V4Table<V>;
  #old: V4Table<V>;
  readonly #half: number;
  readonly #slots: number;

  constructor(readonly capacity: number) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
    // load factor <= 0.5 keeps probe chains short
    this.#slots = 2 ** Math.ceil(Math.log2(Math.max(4, this.#half * 2)));
    this.#young = new V4Table(capacity === 0 ? 1 : this.#slots);
    this.#old = new V4Table(1);
  }

  get(key: number): V | undefined {
    const y = this.#young;
    const v = y.vals[y.find(key)];
    if (v !== undefined || this.capacity === 0) return v;
    const o = this.#old;
    const ov = o.size ? o.vals[o.find(key)] : undefined;
    if (ov !== undefined) this.set(key, ov);
    return ov;
  }

  set(key: number, value: V): void {
    if (this.capacity === 0) return;
    let y = this.#young;
    let i = y.find(key);
    if (y.vals[i] === undefined) {
      if (y.size >= this.#half) {
        this.#old = y;
        this.#young = y = new V4Table(this.#slots);
        i = y.find(key);
      }
      y.size++;
    }
    y.keys[i] = key;
    y.vals[i] = value;
  }

  clear(): void {
    this.#young = new V4Table(this.capacity === 0 ? 1 : this.#slots);
    this.#old = new V4Table(1);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
