// Which span-log partition a span belongs to: hash(tenant, trace id) mod P (DESIGN §4).
// The function is part of the stored format: every node, and every later version, must place
// a trace in the same partition, so it is defined byte for byte in docs/PROTOCOL.md.

import { invalid } from '../errors.ts';
import type { Span } from '../model/span.ts';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32-bit) over the UTF-8 bytes of `tenant`, a 0x00 byte and `traceId`, then the
 * murmur3 finalizer: FNV-1a alone keeps the low bits of the last bytes weakly mixed, and
 * `mod P` reads exactly those bits when P is a power of two.
 */
export function partitionHash(tenant: string, traceId: string): number {
  let h = fnv1a(FNV_OFFSET, tenant);
  h = Math.imul(h, FNV_PRIME); // the 0x00 separator: xor with 0 is a no-op
  h = fnv1a(h, traceId);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The partition of a trace, in [0, partitions). */
export function partitionOf(tenant: string, traceId: string, partitions: number): number {
  return partitionHash(tenant, traceId) % partitions;
}

/** Spans grouped by partition, each group in input order. */
export function groupByPartition(spans: readonly Span[], partitions: number): Map<number, Span[]> {
  if (!Number.isInteger(partitions) || partitions < 1) throw invalid(`partitions must be a positive integer, got ${partitions}`);
  const groups = new Map<number, Span[]>();
  // Spans of one trace usually arrive together: hash each trace once.
  let lastTenant = '';
  let lastTrace = '';
  let lastPartition = -1;
  for (const span of spans) {
    if (lastPartition < 0 || span.traceId !== lastTrace || span.tenant !== lastTenant) {
      lastTenant = span.tenant;
      lastTrace = span.traceId;
      lastPartition = partitionOf(span.tenant, span.traceId, partitions);
    }
    const group = groups.get(lastPartition);
    if (group === undefined) groups.set(lastPartition, [span]);
    else group.push(span);
  }
  return groups;
}

function fnv1a(hash: number, s: string): number {
  let h = hash;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    // Non-ASCII (tenants may be any string): hash the UTF-8 bytes, as another language would.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    for (const b of utf8Bytes(c)) h = Math.imul(h ^ b, FNV_PRIME);
  }
  return h;
}

function utf8Bytes(c: number): number[] {
  // A lone surrogate encodes as U+FFFD, as TextEncoder does.
  if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
  if (c < 0x800) return [0xc0 | (c >> 6), 0x80 | (c & 63)];
  if (c < 0x10000) return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
  return [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
}
