// The Redis live message (docs/PROTOCOL.md, "Live subscriptions"): one written trace as
// compact JSON, columnar per view and limited to the live projection (scopes.ts), so the
// span batch, log events and columns no live scope reads never cross the wire.
import { TesseraError } from '../errors.ts';
import type { ViewRow, ViewValue } from '../store/api.ts';
import type { LiveTrace } from './api.ts';

export const LIVE_MESSAGE_VERSION = 1;

/** One view's rows: column names, the indexes of columns holding integers past 2^53, rows. */
interface WireView {
  c: string[];
  b?: number[];
  r: unknown[][];
}

interface WireTrace {
  v: number;
  t: string;
  i: string;
  u: boolean;
  w: number;
  r: Record<string, WireView>;
}

const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

function encodeView(rows: readonly ViewRow[], columns: readonly string[]): WireView {
  const big = new Set<number>();
  const out: unknown[][] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const values: unknown[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const v = row[columns[c]];
      if (typeof v === 'bigint') {
        big.add(c);
        values[c] = v.toString();
      } else values[c] = v === undefined ? null : v;
    }
    out[i] = values;
  }
  if (big.size === 0) return { c: columns as string[], r: out };
  // A column with any big value carries all its numbers as decimal strings.
  for (const values of out) for (const c of big) if (typeof values[c] === 'number') values[c] = String(values[c]);
  return { c: columns as string[], b: [...big], r: out };
}

/** The message for one trace: only projected views and columns. */
export function encodeLiveTrace(trace: LiveTrace, projection: ReadonlyMap<string, readonly string[]>): string {
  const r: Record<string, WireView> = {};
  for (const [view, columns] of projection) {
    const rows = trace.views[view];
    if (rows && rows.length > 0) r[view] = encodeView(rows, columns);
  }
  const wire: WireTrace = { v: LIVE_MESSAGE_VERSION, t: trace.tenant, i: trace.traceId, u: trace.update, w: trace.writtenAt, r };
  return JSON.stringify(wire);
}

function integerOf(text: unknown): ViewValue {
  if (typeof text !== 'string') return text as ViewValue;
  const n = BigInt(text);
  return n >= SAFE_MIN && n <= SAFE_MAX ? Number(n) : n;
}

function decodeView(view: WireView): ViewRow[] {
  const big = new Set(view.b ?? []);
  return view.r.map((values) => {
    const row: ViewRow = {};
    for (let c = 0; c < view.c.length; c++) row[view.c[c]] = big.has(c) ? integerOf(values[c]) : (values[c] as ViewValue);
    return row;
  });
}

/** A message back to a LiveTrace; INVALID_ARGUMENT when it is not one. */
export function decodeLiveTrace(text: string): LiveTrace {
  let wire: WireTrace;
  try {
    wire = JSON.parse(text) as WireTrace;
  } catch {
    throw new TesseraError('INVALID_ARGUMENT', 'live message is not JSON');
  }
  if (wire === null || typeof wire !== 'object' || wire.v !== LIVE_MESSAGE_VERSION || typeof wire.t !== 'string' || typeof wire.i !== 'string') {
    throw new TesseraError('INVALID_ARGUMENT', `live message of an unknown version or shape (v=${String((wire as { v?: unknown } | null)?.v)})`);
  }
  const views: Record<string, ViewRow[]> = {};
  for (const [name, view] of Object.entries(wire.r ?? {})) views[name] = decodeView(view);
  return { tenant: wire.t, traceId: wire.i, update: wire.u === true, writtenAt: Number(wire.w), views };
}
