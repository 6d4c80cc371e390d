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
