// UTF-16 code units sort surrogates (U+D800–U+DFFF) below U+E000–U+FFFF, but in UTF-8 (and code
// point) order supplementary characters come last. Shifting the unit ranges restores that order.
function utf8OrderUnit(unit: number): number {
  if (unit >= 0xe000) {
    return unit - 0x800;
  }
  if (unit >= 0xd800) {
    return unit + 0x2000;
  }
  return unit;
}

/** Compares two strings by their UTF-8 bytes, the order S3 lists keys in. */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const unitA = a.charCodeAt(i);
    const unitB = b.charCodeAt(i);
    if (unitA !== unitB) {
      return utf8OrderUnit(unitA) - utf8OrderUnit(unitB);
    }
  }
  return a.length - b.length;
}

/** Map from string keys to values that also keeps the keys sorted by UTF-8 bytes. */
export class SortedKeyIndex<V> {
  private readonly keys: string[] = [];
  private readonly values = new Map<string, V>();

  /** Builds an index from entries in any order, sorting once; later duplicates win. */
  static fromEntries<V>(entries: Iterable<[string, V]>): SortedKeyIndex<V> {
    const index = new SortedKeyIndex<V>();
    for (const [key, value] of entries) {
      index.values.set(key, value);
    }
    for (const key of [...index.values.keys()].sort(compareUtf8)) {
      index.keys.push(key);
    }
    return index;
  }

  get size(): number {
    return this.keys.length;
  }

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  set(key: string, value: V): void {
    if (!this.values.has(key)) {
      this.keys.splice(this.lowerBound(key), 0, key);
    }
    this.values.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.values.delete(key)) {
      return false;
    }
    this.keys.splice(this.lowerBound(key), 1);
    return true;
  }

  /** Returns the position of the first key that is not less than `key`. */
  lowerBound(key: string): number {
    return this.partition((candidate) => compareUtf8(candidate, key) < 0);
  }

  /** Returns the position of the first key that is greater than `key`. */
  upperBound(key: string): number {
    return this.partition((candidate) => compareUtf8(candidate, key) <= 0);
  }

  /** Returns the position of the first key after every key that starts with `prefix`. */
  endOfPrefix(prefix: string): number {
    return this.partition(
      (candidate) => compareUtf8(candidate, prefix) < 0 || candidate.startsWith(prefix),
    );
  }

  /** Returns the key at a position from the bound methods, or undefined past the end. */
  keyAt(position: number): string | undefined {
    return this.keys[position];
  }

  /** Iterates over all entries in key order. */
  *entries(): IterableIterator<[string, V]> {
    for (const key of this.keys) {
      yield [key, this.values.get(key) as V];
    }
  }

  // Binary search for the first position where `before` is false; `before` must be monotone.
  private partition(before: (key: string) => boolean): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(this.keys[middle] as string)) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
}
