// Shared data of the ViewStore conformance suites: small traces for two tenants, their rows
// through the write path's own functions (assemble, enrich, traceRowsOf), and reading a whole
// view back in the neutral value types, so expectations come from the data.
import type { Test } from 'tap';
import type { Span } from '../../src/model/span.ts';
import type { TraceRows, ViewRow, ViewStore } from '../../src/store/api.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { buildRowsOf } from '../../src/views/rows.ts';
import { viewNamed, type ColumnType } from '../../src/views/schema.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';

export type ViewStoreFactory = (t: Test) => Promise<ViewStore>;

export const T0 = 1_700_000_000_000_000;
export const TR_A = 'a1'.repeat(16);
export const TR_B = 'b2'.repeat(16);

/** Trace A: web's GET /cart reads MySQL and calls cart; trace B: a consumer with a lost parent. */
export function tracesFor(tenant: string): Span[][] {
  const a = [
    makeSpan({
      tenant, traceId: TR_A, spanId: hexId(0xa1), name: 'GET /cart', kind: 'SERVER', serviceName: 'web',
      startUs: T0, endUs: T0 + 50_000, attributes: { 'http.method': 'GET', 'http.status_code': '200' },
      events: [{ timeUs: T0 + 10, name: 'cache miss', attributes: { message: 'héllo ✓' } }],
    }),
    makeSpan({
      tenant, traceId: TR_A, spanId: hexId(0xa2), parentSpanId: hexId(0xa1), name: 'SELECT cart', kind: 'CLIENT',
      serviceName: 'web', startUs: T0 + 5_000, endUs: T0 + 25_000,
      attributes: { 'db.system': 'mysql', 'db.statement': 'SELECT 1', 'net.peer.name': 'db', 'net.peer.port': '3306' },
    }),
    makeSpan({
      tenant, traceId: TR_A, spanId: hexId(0xa3), parentSpanId: hexId(0xa1), name: 'GET /items', kind: 'SERVER',
      serviceName: 'cart', startUs: T0 + 30_000, endUs: T0 + 45_000, statusCode: 2,
      attributes: { 'http.method': 'POST', 'http.status_code': '500' },
    }),
  ];
  const b = [
    makeSpan({
      tenant, traceId: TR_B, spanId: hexId(0xb1), name: 'consume', kind: 'CONSUMER', serviceName: 'cart',
      startUs: T0 + 1_000_000, endUs: T0 + 1_100_000, attributes: {},
    }),
    makeSpan({
      tenant, traceId: TR_B, spanId: hexId(0xb2), parentSpanId: hexId(0xf0), name: 'GET /stock', kind: 'CLIENT',
      serviceName: 'cart', startUs: T0 + 1_010_000, endUs: T0 + 1_012_500, attributes: { 'http.method': 'GET' },
    }),
  ];
  return [a, b];
}

const build = buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() }));

/** A trace's rows as the ViewWriter makes them. */
export const rowsOf = (spans: Span[], revision = 0): Promise<TraceRows> => build(assembleTrace(spans, revision));

/** A stored value as a query returns it for a column of this type. */
export function asRead(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return type === 'string_array' ? [] : null;
  // Longs read back as numbers while safe, as bigints past 2^53 either way (negative too).
  if (type === 'long' && typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  return v;
}

/** Every row of a view in one tenant, every column but bytes, as written rows read back; sorted. */
export async function readView(store: ViewStore, view: string, tenant: string): Promise<Record<string, unknown>[]> {
  const def = viewNamed(view)!;
  const columns = def.columns.filter((c) => c.type !== 'bytes').map((c) => c.name);
  const r = await store.query({ view, tenant, select: columns.map((column) => ({ as: column, ref: { column } })), where: [], limit: 100_000 });
  return sortRows(r.rows);
}

/** What readView should return for these written rows. */
export function expectedView(rows: readonly ViewRow[], view: string): Record<string, unknown>[] {
  const def = viewNamed(view)!;
  return sortRows(rows.map((row) => Object.fromEntries(def.columns.filter((c) => c.type !== 'bytes').map((c) => [c.name, asRead(c.type, row[c.name])]))));
}

const key = (row: Record<string, unknown>): string => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
const sortRows = (rows: Record<string, unknown>[]) => rows.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));

export { hexId, makeSpan };
