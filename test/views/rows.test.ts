// traceRowsOf on a small hand-built AssembledTrace run through the default enrichment: the
// rawTraceView, logEventView, backendEntityView and rawServiceView rules, the column sets of
// all six views, and the synchronous traceRows test helper.
import t from 'tap';
import type { AssembledTrace } from '../../src/model/trace.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import type { EnrichedTrace } from '../../src/enrich/types.ts';
import { decodeSpanBatch } from '../../src/store/codec.ts';
import { logSummaryOf } from '../../src/views/logEventRows.ts';
import { buildRowsOf, traceRowsOf } from '../../src/views/rows.ts';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { traceRows } from '../helpers/syncRows.ts';
import { VIEWS } from '../../src/views/schema.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';

const T0 = 1_613_406_996_123_456; // µs, with sub-millisecond digits on purpose
const TRACE = '0000000000000000383acc79e53b84da';

function handBuiltTrace(): AssembledTrace {
  const root = makeSpan({
    tenant: 'acme', traceId: TRACE, spanId: hexId(1), name: 'HTTP GET /dispatch', kind: 'SERVER', serviceName: 'frontend',
    startUs: T0, endUs: T0 + 700_900, attributes: { 'http.method': 'GET', 'http.status_code': '200', 'http.url': 'http://x/dispatch' },
    events: [
      { timeUs: T0 + 5, name: 'log', attributes: { event: 'HTTP request received', level: 'info' } },
      { timeUs: T0 + 9, name: 'exception', attributes: { 'exception.type': 'Boom', 'exception.message': 'it broke' } },
    ],
  });
  const grpc = makeSpan({
    tenant: 'acme', traceId: TRACE, spanId: hexId(2), parentSpanId: hexId(1), name: '/driver.DriverService/FindNearest', kind: 'CLIENT',
    serviceName: 'frontend', startUs: T0 + 1_000, endUs: T0 + 200_000, statusMessage: 'gone',
    attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': '5' },
  });
  const redis = makeSpan({
    tenant: 'acme', traceId: TRACE, spanId: hexId(3), parentSpanId: hexId(1), name: 'GetDriver', kind: 'UNSPECIFIED',
    serviceName: 'redis', startUs: T0 + 2_000, endUs: T0 + 2_500, statusCode: 2,
    attributes: { 'span.kind': 'client', 'db.system': 'redis', 'net.peer.name': 'redis', 'net.peer.port': '6379' },
    events: [{ timeUs: T0 + 2_100, name: 'retry', attributes: { attempt: '2' } }],
  });
  const web = makeSpan({
    tenant: 'acme', traceId: TRACE, spanId: hexId(4), parentSpanId: hexId(2), name: 'FindNearest', kind: 'SERVER',
    serviceName: 'driver', startUs: T0 + 3_000, endUs: T0 + 190_000, attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': '5' },
  });
  const spans = [root, grpc, redis, web];
  return {
    tenant: 'acme', traceId: TRACE, spans, parent: [-1, 0, 0, 1], children: [[1, 2], [3], [], []], roots: [0],
    partial: false, missingSpanIds: [], startUs: T0, endUs: T0 + 700_900, revision: 2,
  };
}

async function enriched(trace = handBuiltTrace()): Promise<EnrichedTrace> {
  return createDefaultEnrichment({ resolver: new MemoryEntityResolver() }).enrich(trace);
}

t.test('a trace gives one rawTraceView row with its summary and its encoded spans', async (t) => {
  const trace = await enriched();
  const rows = traceRowsOf(trace);
  t.same(rows.key, { tenant: 'acme', traceId: TRACE });
  t.equal(rows.views.rawTraceView.length, 1);
  const row = rows.views.rawTraceView[0];
  t.same(row.services, ['frontend', 'driver'], 'the attributed services: the redis call is the frontend\'s');
  t.equal(row.num_services, 2);
  t.equal(row.num_spans, trace.spans.length);
  t.equal(row.transaction_name, trace.enriched.apiName[0], 'the API of the entry span that starts the trace');
  t.equal(row.transaction_name, 'GET /dispatch');
  t.equal(row.start_time_millis, Math.floor(T0 / 1000));
  t.equal(row.end_time_millis, Math.floor(trace.endUs / 1000));
  t.equal(row.duration_millis, Math.floor(trace.endUs / 1000) - Math.floor(T0 / 1000));
  t.equal(row.start_time_micros, T0, 'µs precision is kept');
  t.equal(row.duration_micros, trace.endUs - trace.startUs);
  t.equal(row.partial, false);
  t.equal(row.revision, 2);
  t.equal(row.space_ids, null, 'no space rules yet');
  t.same(decodeSpanBatch(row.span_batch as Uint8Array), trace.spans, 'the blob decodes back to the spans');
});

t.test('each span event gives one logEventView row with its time, attributes and summary', async (t) => {
  const trace = await enriched();
  const rows = traceRowsOf(trace).views.logEventView;
  const events = trace.spans.flatMap((s) => s.events.map((e) => ({ s, e })));
  t.equal(rows.length, events.length);
  rows.forEach((row, i) => {
    const { s, e } = events[i];
    t.equal(row.timestamp_nanos, BigInt(e.timeUs) * 1000n);
    t.equal(row.span_id, s.spanId);
    t.equal(row.trace_id, TRACE);
    t.match(row.attributes, e.attributes, 'the event attributes are kept');
    t.equal((row.attributes as Record<string, string>).event ?? '', e.attributes.event ?? e.name, 'the event name stands under `event` as in a Jaeger log');
  });
  t.equal(rows[0].summary, 'HTTP request received', '`event` when there is no message');
  t.equal(rows[1].summary, 'it broke', '`exception.message` before `exception.type`');
  t.equal(rows[2].summary, 'retry', 'the event name (as `event`) before other attributes');
});

t.test('the log summary follows the key priority, then the first attribute', async (t) => {
  const cases: [Record<string, string>, string | null][] = [
    [{ body: 'b', event: 'e', 'exception.type': 'T', 'exception.message': 'm', message: 'msg' }, 'msg'],
    [{ body: 'b', event: 'e', 'exception.type': 'T', 'exception.message': 'm' }, 'm'],
    [{ body: 'b', event: 'e', 'exception.type': 'T' }, 'T'],
    [{ body: 'b', event: 'e' }, 'e'],
    [{ other: 'o', body: 'b' }, 'b'],
    [{ first: '1', second: '2' }, '1'],
    [{}, null],
  ];
  for (const [attrs, want] of cases) t.equal(logSummaryOf(attrs), want, JSON.stringify(attrs));
});

t.test('a backend call gives one backendEntityView row with the backend, the caller and the span', async (t) => {
  const trace = await enriched();
  const rows = traceRowsOf(trace).views.backendEntityView;
  const b = trace.enriched.backend[2]!;
  t.ok(b, 'the redis span calls a backend');
  t.equal(rows.length, trace.enriched.backend.filter((x) => x !== null).length);
  const redis = trace.spans[2];
  t.match(rows.find((r) => r.span_id === redis.spanId), {
    backend_id: b.id, backend_name: b.name, backend_host: b.host, backend_port: b.port, backend_protocol: 'REDIS', backend_path: '',
    backend_trace_id: redis.spanId, display_name: 'GetDriver', span_kind: 'EXIT', error_count: 1, num_calls: 1,
    caller_service_id: trace.enriched.serviceId[0], caller_api_id: trace.enriched.apiId[0], tags: redis.attributes,
    status: 'FAIL', backend_operation: b.operation, backend_destination: b.destination, duration_micros: 500,
  });
});

t.test('each API node with a service gives one rawServiceView row from its head span', async (t) => {
  const trace = await enriched();
  const rows = traceRowsOf(trace).views.rawServiceView;
  t.same(rows.map((r) => r.span_id), trace.apiNodes.map((n) => trace.spans[n.head].spanId));
  const driver = rows.find((r) => r.service_name === 'driver')!;
  t.match(driver, {
    span_kind: 'ENTRY', protocol_name: 'GRPC', status_code: '5', error_count: 1, num_calls: 1, transaction_name: 'GET /dispatch',
    parent_span_id: hexId(2), api_discovery_state: 'DISCOVERED', service_id: trace.enriched.serviceId[3], api_id: trace.enriched.apiId[3],
  });
});

t.test('every row carries exactly the columns its view declares', async (t) => {
  const views = traceRowsOf(await enriched()).views;
  t.same(Object.keys(views).sort(), VIEWS.map((v) => v.name).sort(), 'every view, even when it has no rows');
  for (const view of VIEWS) {
    t.ok(views[view.name].length > 0, `${view.name} has rows here`);
    for (const row of views[view.name]) t.same(Object.keys(row).sort(), view.columns.map((c) => c.name).sort(), view.name);
  }
});

t.test('the synchronous traceRows gives the rows the pipeline gives', async (t) => {
  t.same(traceRows(handBuiltTrace()), traceRowsOf(await enriched()));
});

t.test('buildRowsOf gives the rows of enrich then traceRowsOf, and a failure as a rejection, never a throw', async (t) => {
  const gen = new TraceGenerator({ seed: 23 });
  const traces = Array.from({ length: 40 }, (_, i) =>
    assembleTrace(decodeOtlpProto(encodeOtlpProto(gen.next(1_760_000_000_000_000 + i * 1000).spans), '__default').spans),
  );
  const viaBuild = await Promise.all(traces.map(buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() }))));
  const other = createDefaultEnrichment({ resolver: new MemoryEntityResolver() });
  const viaEnrich = (await Promise.all(traces.map((tr) => other.enrich(tr)))).map(traceRowsOf);
  t.same(viaBuild, viaEnrich);
  // A trace no enrichment can start on (no span list) fails as a rejected promise.
  const broken = { ...traces[0], spans: undefined } as unknown as AssembledTrace;
  let threw = false;
  let result: Promise<unknown> | undefined;
  try {
    result = buildRowsOf(other)(broken);
  } catch {
    threw = true;
  }
  t.notOk(threw, 'no synchronous throw');
  await t.rejects(result!);
});
