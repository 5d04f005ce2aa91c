// traceRows on a small hand-built AssembledTrace: every view's rows, column by column.
import t from 'tap';
import type { Span } from '../../src/model/span.ts';
import type { AssembledTrace } from '../../src/model/trace.ts';
import { decodeSpanBatch } from '../../src/store/codec.ts';
import { logSummaryOf, spanTypeOf, traceRows } from '../../src/views/rows.ts';
import { logEventView, rawTraceView, spanEventView } from '../../src/views/schema.ts';
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
    attributes: { 'span.kind': 'client', 'db.system': 'redis' },
    events: [{ timeUs: T0 + 2_100, name: 'retry', attributes: { attempt: '2' } }],
  });
  const web = makeSpan({
    tenant: 'acme', traceId: TRACE, spanId: hexId(4), parentSpanId: hexId(2), name: 'FindNearest', kind: 'SERVER',
    serviceName: 'driver', startUs: T0 + 3_000, endUs: T0 + 190_000, attributes: { 'http.method': 'POST', 'http.status_code': '503' },
  });
  const spans = [root, grpc, redis, web];
  return {
    tenant: 'acme', traceId: TRACE, spans, parent: [-1, 0, 0, 1], children: [[1, 2], [3], [], []], roots: [0],
    partial: false, missingSpanIds: [], startUs: T0, endUs: T0 + 700_900, revision: 2,
  };
}

t.test('a trace gives one rawTraceView row with its summary and its encoded spans', async (t) => {
  const trace = handBuiltTrace();
  const rows = traceRows(trace);
  t.same(rows.key, { tenant: 'acme', traceId: TRACE });
  t.equal(rows.views.rawTraceView.length, 1);
  const row = rows.views.rawTraceView[0];
  const services = [...new Set(trace.spans.map((s) => s.serviceName))];
  t.same(row.services, services, 'distinct services in breadth-first order');
  t.equal(row.num_services, services.length);
  t.equal(row.num_spans, trace.spans.length);
  t.equal(row.transaction_name, trace.spans[trace.roots[0]].name, 'the root span names the transaction until enrichment does');
  t.equal(row.start_time_millis, Math.floor(T0 / 1000));
  t.equal(row.end_time_millis, Math.floor(trace.endUs / 1000));
  t.equal(row.duration_millis, Math.floor(trace.endUs / 1000) - Math.floor(T0 / 1000));
  t.equal(row.start_time_micros, T0, 'µs precision is kept');
  t.equal(row.duration_micros, trace.endUs - trace.startUs);
  t.equal(row.partial, false);
  t.equal(row.revision, 2);
  t.same(decodeSpanBatch(row.span_batch as Uint8Array), trace.spans, 'the blob decodes back to the spans');
});

t.test('each span gives one spanEventView row with its identity, times, tags and status', async (t) => {
  const trace = handBuiltTrace();
  const rows = traceRows(trace).views.spanEventView;
  t.equal(rows.length, trace.spans.length);
  rows.forEach((row, i) => {
    const s = trace.spans[i];
    t.equal(row.span_id, s.spanId);
    t.equal(row.trace_id, TRACE);
    t.equal(row.tenant_id, 'acme');
    t.equal(row.parent_span_id, s.parentSpanId === '' ? null : s.parentSpanId, `parent of ${s.spanId}`);
    t.equal(row.service_name, s.serviceName);
    t.equal(row.event_name, s.name);
    t.equal(row.display_span_name, s.name);
    t.equal(row.tags, s.attributes, 'tags are the raw attributes');
    t.equal(row.start_time_millis, Math.floor(s.startUs / 1000));
    t.equal(row.duration_millis, Math.floor((s.endUs - s.startUs) / 1000));
    t.equal(row.end_time_millis, (row.start_time_millis as number) + (row.duration_millis as number));
    t.equal(row.start_time_micros, s.startUs);
    t.equal(row.duration_micros, s.endUs - s.startUs);
    t.equal(row.kind, s.kind);
    t.equal(row.spans, 1);
    t.equal(row.api_trace_id, null, 'enrichment columns wait for the enricher');
  });
  const [root, grpc, redis, web] = rows;
  t.match(root, { span_kind: 'ENTRY', protocol_name: 'HTTP', status_code: '200', status: 'SUCCESS', error_count: 0, exception_count: 1 });
  t.match(grpc, { span_kind: 'EXIT', protocol_name: 'GRPC', status_code: '5', status: 'FAIL', status_message: 'gone' });
  t.match(redis, { span_kind: 'EXIT', protocol_name: 'REDIS', status_code: null, status: 'FAIL', error_count: 1, exception_count: 0 });
  t.match(web, { span_kind: 'ENTRY', status_code: '503', status: 'FAIL' });
});

t.test('span type comes from the kind, or the OpenTracing tag when the kind is unset', async (t) => {
  const cases: [Span['kind'], Record<string, string>, string][] = [
    ['SERVER', {}, 'ENTRY'], ['CONSUMER', {}, 'ENTRY'], ['CLIENT', {}, 'EXIT'], ['PRODUCER', {}, 'EXIT'],
    ['INTERNAL', {}, 'UNKNOWN'], ['UNSPECIFIED', { 'span.kind': 'server' }, 'ENTRY'], ['UNSPECIFIED', { 'span.kind': 'producer' }, 'EXIT'],
  ];
  for (const [kind, attributes, want] of cases) t.equal(spanTypeOf({ kind, attributes }), want, `${kind} ${JSON.stringify(attributes)}`);
});

t.test('each span event gives one logEventView row with its time, attributes and summary', async (t) => {
  const trace = handBuiltTrace();
  const rows = traceRows(trace).views.logEventView;
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

t.test('every row carries exactly the columns its view declares', async (t) => {
  const views = traceRows(handBuiltTrace()).views;
  for (const view of [rawTraceView, spanEventView, logEventView]) {
    for (const row of views[view.name]) t.same(Object.keys(row).sort(), view.columns.map((c) => c.name).sort(), view.name);
  }
});
