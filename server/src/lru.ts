/**
 * A map that keeps at most `capacity` entries: reading or writing an entry makes it the most recent,
 * and past the capacity the least recently used goes. The server's in-memory caches use it so that a
 * session that lasts for days, in a workspace of thousands of models, stays bounded.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`an LRU cache needs a capacity of at least 1, got ${capacity}`);
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v); }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    // A Map iterates in insertion order: the first key is the least recently used.
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}
