// Written traces for the live tests: real spans, assembled and turned into view rows by the
// same code a node runs, as the ViewWriter hands them to onWritten.
import type { WrittenTrace } from '../../src/actors/viewWriter.ts';
import type { Span } from '../../src/model/span.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { traceRows } from '../helpers/syncRows.ts';
import { hexId, makeSpan } from '../helpers/spans.ts';

let traceCounter = 0;

/** A fresh 32-hex trace id, unique within the test process. */
export const nextTraceId = (): string => hexId(++traceCounter + 0x5eed0000, 32);

/** A small HTTP trace (server entry span calling a client span) of a tenant, as written. */
export function writtenTrace(opts: { tenant: string; traceId?: string; revision?: number; service?: string; durationMs?: number; extraSpans?: Span[] }): WrittenTrace {
  const traceId = opts.traceId ?? nextTraceId();
  const start = 1_700_000_000_000_000 + traceCounter * 1000;
  const durUs = (opts.durationMs ?? 10) * 1000;
  const root = makeSpan({
    tenant: opts.tenant, traceId, spanId: hexId(traceCounter * 16 + 1), name: 'GET /dispatch', kind: 'SERVER',
    serviceName: opts.service ?? 'frontend', startUs: start, endUs: start + durUs,
    attributes: { 'http.method': 'GET', 'http.route': '/dispatch', 'http.status_code': '200' },
  });
  const child = makeSpan({
    tenant: opts.tenant, traceId, spanId: hexId(traceCounter * 16 + 2), parentSpanId: root.spanId, name: 'SELECT', kind: 'CLIENT',
    serviceName: opts.service ?? 'frontend', startUs: start + 10, endUs: start + durUs - 10,
    attributes: { 'db.system': 'mysql', 'db.statement': 'SELECT 1' },
  });
  const trace = assembleTrace([root, child, ...(opts.extraSpans ?? [])], opts.revision ?? 0);
  return { trace, rows: traceRows(trace) };
}
