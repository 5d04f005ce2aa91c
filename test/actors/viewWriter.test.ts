// writeTraces: the traces of one batch are enriched together, so a batch waits for one round of
// entity lookups rather than one per trace (each lookup is queued behind ingest work).

import t from 'tap';
import { pino } from 'pino';
import { writeTraces, type ViewWriterDeps } from '../../src/actors/viewWriter.ts';
import type { Span } from '../../src/model/span.ts';
import type { AssembledTrace } from '../../src/model/trace.ts';
import type { TraceRows, ViewStore } from '../../src/store/api.ts';

function span(traceNo: number, n: number): Span {
  return {
    tenant: 't', traceId: traceNo.toString(16).padStart(32, '0'), spanId: (traceNo * 100 + n + 1).toString(16).padStart(16, '0'),
    parentSpanId: '', name: 'op', kind: 'SERVER', serviceName: 'svc', startUs: 1_700_000_000_000_000 + n, endUs: 1_700_000_000_001_000 + n,
    statusCode: 0, statusMessage: '', attributes: {}, resource: {}, events: [], links: [],
  };
}

/** A store that records what it is asked to write. */
function recordingStore(): { store: ViewStore; written: TraceRows[][] } {
  const written: TraceRows[][] = [];
  const store: ViewStore = {
    init: async () => undefined,
    replaceTraces: async (traces) => {
      written.push([...traces]);
    },
    storedSpans: async () => new Map(),
    query: async () => ({ rows: [] }),
    close: async () => undefined,
  };
  return { store, written };
}

const rowsFor = (trace: AssembledTrace): TraceRows => ({
  key: { tenant: trace.tenant, traceId: trace.traceId },
  views: { rawTraceView: [{ trace_id: trace.traceId, num_spans: trace.spans.length }] },
});

t.test('every trace of a batch is enriched before any of them has finished', async (t) => {
  const traces = [1, 2, 3, 4, 5].map((n) => ({ tenant: 't', traceId: span(n, 0).traceId, spans: [span(n, 0), span(n, 1)] }));
  const { store, written } = recordingStore();
  // Each lookup finishes only once all five have started (or gives up after a generous deadline).
  let started = 0;
  let releaseAll!: () => void;
  const allStarted = new Promise<void>((resolve) => (releaseAll = resolve));
  const deps: ViewWriterDeps = {
    store,
    logger: pino({ level: 'silent' }),
    maxBatchSpans: 1000,
    rowsOf: async (trace) => {
      if (++started === traces.length) releaseAll();
      const timedOut = await Promise.race([allStarted.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 20_000).unref())]);
      if (timedOut) throw new Error(`only ${started} of ${traces.length} traces were being enriched at once`);
      return rowsFor(trace);
    },
  };
  const result = await writeTraces(deps, traces);
  t.equal(started, traces.length);
  t.same(result.map((w) => w.trace.traceId), traces.map((tr) => tr.traceId), 'written in batch order');
  t.equal(written.length, 1, 'one store write for the batch');
  t.same(written[0].map((r) => r.key.traceId), traces.map((tr) => tr.traceId));
});

t.test('a trace that appears twice in a batch is enriched and written once, with all its spans', async (t) => {
  const { store, written } = recordingStore();
  const a = span(9, 0);
  const b = span(9, 1);
  let calls = 0;
  const deps: ViewWriterDeps = {
    store, logger: pino({ level: 'silent' }), maxBatchSpans: 1000,
    rowsOf: async (trace) => {
      calls++;
      return rowsFor(trace);
    },
  };
  const result = await writeTraces(deps, [{ tenant: 't', traceId: a.traceId, spans: [a] }, { tenant: 't', traceId: a.traceId, spans: [b] }]);
  t.equal(calls, 1);
  t.equal(result[0].trace.spans.length, 2);
  t.equal(written[0].length, 1);
});
