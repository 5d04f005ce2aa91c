// Stream entries of the span log: the fields one XADD writes, and how XREADGROUP / XAUTOCLAIM
// replies (read as Buffers: the batch is binary) become SpanLogEntry values.

import { decodeSpanBatch } from '../codec.ts';
import type { SpanLogEntry } from '../api.ts';

/** Entry field holding the span count (ASCII decimal): lets Redis-side scripts count spans. */
export const FIELD_COUNT = 'n';
/** Entry field holding the SpanBatch bytes (protos/tessera/spanlog.proto). */
export const FIELD_BATCH = 'b';

/** An entry that could not be turned into spans: reported and acknowledged, never retried. */
export interface BadEntry {
  partition: number;
  id: string;
  reason: string;
}

export interface ParsedEntries {
  entries: SpanLogEntry[];
  bad: BadEntry[];
}

type RawEntry = [id: Buffer, fields: Buffer[] | null];

/** One stream's entries from XREADGROUP, XRANGE or XAUTOCLAIM. */
export function parseEntries(partition: number, raw: unknown, into: ParsedEntries): void {
  if (!Array.isArray(raw)) return;
  for (const item of raw as RawEntry[]) {
    const id = item[0].toString();
    const fields = item[1];
    if (fields === null) {
      // Still pending but no longer in the stream (deleted by hand): nothing left to process.
      into.bad.push({ partition, id, reason: 'the entry is pending but was deleted from the stream' });
      continue;
    }
    let batch: Buffer | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i].length === 1 && fields[i][0] === 0x62 /* 'b' */) batch = fields[i + 1];
    }
    if (batch === undefined) {
      into.bad.push({ partition, id, reason: `the entry has no "${FIELD_BATCH}" field` });
      continue;
    }
    try {
      into.entries.push({ id, partition, spans: decodeSpanBatch(batch) });
    } catch (err) {
      into.bad.push({ partition, id, reason: `the batch does not decode: ${(err as Error).message}` });
    }
  }
}

/**
 * An XREADGROUP reply over several streams: null on timeout, else [key, entries] per stream
 * that had any. `partitionOfKey` maps a stream key back to its partition.
 */
export function parseReadReply(reply: unknown, partitionOfKey: (key: string) => number | undefined): ParsedEntries {
  const out: ParsedEntries = { entries: [], bad: [] };
  if (!Array.isArray(reply)) return out;
  for (const stream of reply as [Buffer, unknown][]) {
    const partition = partitionOfKey(stream[0].toString());
    if (partition !== undefined) parseEntries(partition, stream[1], out);
  }
  return out;
}

/** Orders stream entry ids (`<ms>-<seq>`) numerically. */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt);
  const [bMs, bSeq] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}
