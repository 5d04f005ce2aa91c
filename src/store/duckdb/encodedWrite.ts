// A view-store write encoded on the caller's thread (ADR 014): the JavaScript half of
// DuckDbViewStore.replaceTraces, which needs no connection, so the embedded node runs it on the
// main thread and posts the result to the DuckDB store thread.
import { traceKeyString, type TraceKey, type TraceRows } from '../api.ts';
import { ROLLUP_MINUTE_MS, ROLLUP_SOURCES } from '../../views/rollups.ts';
import { VIEWS, rawTraceView } from '../../views/schema.ts';
import { columnCodec, transferables, type ColumnBatch, type ColumnCodec, type StoredLayout } from './columns.ts';

/** Each view's table layout, by view name. */
export type StoreLayouts = Record<string, StoredLayout>;

/**
 * A replaceTraces batch encoded on the caller's thread (ADR 014): its traces (the last rows
 * given for a trace win), each view's rows as column batches, and the rollup minutes the new
 * rows fall in. Plain data: postMessage moves its ArrayBuffers and clones the rest.
 */
export interface EncodedWrite {
  keys: TraceKey[];
  /** Some trace lacks its one rawTraceView row: every key is deleted instead of looking up which exist. */
  unmarked: boolean;
  views: { name: string; batch: ColumnBatch }[];
  /** By rollup source view: the minutes (epoch ms) its new rows fall in. */
  minutes: Record<string, number[]>;
}

const codecsByLayouts = new WeakMap<StoreLayouts, Map<string, ColumnCodec>>();
export function codecsFor(layouts: StoreLayouts): Map<string, ColumnCodec> {
  let codecs = codecsByLayouts.get(layouts);
  if (!codecs) {
    codecs = new Map(VIEWS.map((v) => [v.name, columnCodec(v, layouts[v.name])]));
    codecsByLayouts.set(layouts, codecs);
  }
  return codecs;
}

/**
 * Encodes a batch for `writeEncoded` against the store's `layouts()`: the JavaScript half of a
 * write, which needs no connection. `transfer` lists the ArrayBuffers postMessage may move.
 */
export function encodeWrite(layouts: StoreLayouts, batch: readonly TraceRows[]): { write: EncodedWrite; transfer: ArrayBuffer[] } {
  const byKey = new Map<string, TraceRows>();
  for (const t of batch) byKey.set(traceKeyString(t.key), t);
  const traces = [...byKey.values()];
  const codecs = codecsFor(layouts);
  const views: EncodedWrite['views'] = [];
  for (const view of VIEWS) {
    const rows = traces.flatMap((t) => t.views[view.name] ?? []);
    if (rows.length > 0) views.push({ name: view.name, batch: codecs.get(view.name)!.encode(rows) });
  }
  const minutes: Record<string, number[]> = {};
  for (const source of ROLLUP_SOURCES) {
    const touched = new Set<number>();
    for (const t of traces) {
      for (const row of t.views[source.view] ?? []) touched.add(Math.floor(Number(row[source.timeColumn]) / ROLLUP_MINUTE_MS) * ROLLUP_MINUTE_MS);
    }
    minutes[source.view] = [...touched];
  }
  const write = { keys: traces.map((t) => t.key), unmarked: traces.some((t) => (t.views[rawTraceView.name]?.length ?? 0) !== 1), views, minutes };
  return { write, transfer: views.flatMap((v) => transferables(v.batch)) };
}

