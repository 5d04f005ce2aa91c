// A memo for the pure string functions enrichment calls over and over with the same few
// values (hosts, URLs, backend URIs). Clearing it whole at its bound keeps memory fixed without
// the LRU bookkeeping a cache would do on every read: the values that matter come back at once.

/** `compute` remembered for up to `limit` distinct keys at a time. */
export function boundedMemo<V>(limit: number, compute: (key: string) => V): (key: string) => V {
  const known = new Map<string, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined && !known.has(key)) {
      if (known.size >= limit) known.clear();
      value = compute(key);
      known.set(key, value);
    }
    return value as V;
  };
}
