// The golden case: the HotROD trace (test/fixtures/hotrod-jaeger-ui.json) decoded, assembled,
// enriched with the default pipeline and turned into rows of all six views, checked against
// the counts Hypertrace's own view-generator tests assert for it (hypertrace-ingest §7).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { decodeJaegerUiJson } from '../../src/ingest/jaeger-ui-json.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import type { EnrichedTrace } from '../../src/enrich/types.ts';
import type { TraceRows, ViewRow } from '../../src/store/api.ts';
import { buildRowsOf, traceRowsOf } from '../../src/views/rows.ts';
import { VIEWS } from '../../src/views/schema.ts';

const body = readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url));

async function hotrod(): Promise<{ trace: EnrichedTrace; rows: TraceRows }> {
  const pipeline = createDefaultEnrichment({ resolver: new MemoryEntityResolver() });
  const trace = await pipeline.enrich(assembleTrace(decodeJaegerUiJson(body, '__default')));
  return { trace, rows: traceRowsOf(trace) };
}

const count = (values: unknown[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
};
const entityId = (trace: EnrichedTrace, type: string, name: string): string => trace.entities.find((e) => e.type === type && e.name === name)!.id;

t.test('HotROD gives 50 spanEventView rows, one per span', async (t) => {
  const { trace, rows } = await hotrod();
  const spans = rows.views.spanEventView;
  t.equal(spans.length, 50);
  t.same(spans.map((r) => r.span_id).sort(), trace.spans.map((s) => s.spanId).sort());
  t.equal(spans.reduce((n, r) => n + (r.api_trace_count as number), 0), 13, 'one API trace per API node');
  t.same(count(spans.map((r) => r.service_name)), count(trace.spans.map((_, i) => trace.enriched.serviceName[i])), 'leaf exits count for their caller');
  t.notOk(spans.some((r) => r.service_name === 'mysql' || r.service_name === 'redis'), 'mysql and redis are backends, not services');
});

t.test('HotROD serviceCallView: 12 edge rows, then 1 root-entry row, then 14 backend rows', async (t) => {
  const { trace, rows } = await hotrod();
  const calls = rows.views.serviceCallView;
  t.equal(calls.length, 27, 'and no row for nodes without an entry span');
  const edges = calls.slice(0, 12);
  const root = calls[12];
  const backends = calls.slice(13);
  t.ok(edges.every((r) => r.caller_service !== null && r.callee_service !== null && r.callee_backend_id === null), 'edge rows have both sides');
  t.same(count(edges.map((r) => r.callee_service)), { customer: 1, driver: 1, route: 10 });
  t.same(count(edges.map((r) => r.caller_service)), { frontend: 12 });
  t.same(count(edges.map((r) => r.caller_api)), { 'GET /dispatch': 12 });
  t.same(count(edges.map((r) => r.callee_api)), { 'GET /customer': 1, 'driver.DriverService/FindNearest': 1, 'GET /route': 10 });
  t.same(
    edges.map((r) => r.server_event_id).sort(),
    trace.apiEdges.map((e) => trace.spans[e.toSpan].spanId).sort(),
    'the callee side is the entry span of each edge',
  );
  t.match(root, { caller_service: null, client_event_id: null, callee_service: 'frontend', callee_api: 'GET /dispatch', protocol_name: 'HTTP', request_method: 'GET', response_status_code: 200 });
  t.equal(root.callee_service_id_str, entityId(trace, 'SERVICE', 'frontend'));
  t.ok(backends.every((r) => r.callee_service === null && r.callee_backend_id !== null), 'backend rows are caller-only, with the backend');
  t.same(count(backends.map((r) => `${r.caller_service} → ${r.callee_backend_name}`)), { 'customer → mysql': 1, 'driver → redis': 13 });
  t.same(new Set(backends.map((r) => r.callee_backend_id)), new Set([entityId(trace, 'BACKEND', 'mysql'), entityId(trace, 'BACKEND', 'redis')]));
  t.same(count(backends.map((r) => r.error_count)), { 0: 12, 1: 2 }, 'the two failed redis lookups');
  t.ok(calls.every((r) => r.transaction_name === 'GET /dispatch' && r.num_calls === 1));
});

t.test('HotROD backendEntityView: one row per backend call, with the caller and its API', async (t) => {
  const { trace, rows } = await hotrod();
  const backends = rows.views.backendEntityView;
  t.equal(backends.length, 14);
  t.same(count(backends.map((r) => r.backend_name)), { mysql: 1, redis: 13 });
  for (const r of backends) {
    const i = trace.spans.findIndex((s) => s.spanId === r.span_id);
    t.equal(r.backend_trace_id, r.span_id);
    t.equal(r.display_name, trace.spans[i].name);
    t.equal(r.caller_service_id, trace.enriched.serviceId[i]);
    t.equal(r.caller_api_id, trace.enriched.apiId[trace.enriched.apiEntry[i]]);
    t.match(r, { backend_host: r.backend_name, backend_port: '-1', backend_protocol: 'UNKNOWN', backend_path: '', span_kind: 'EXIT', num_calls: 1 });
  }
  const mysql = backends.find((r) => r.backend_name === 'mysql')!;
  t.equal(mysql.caller_service_id, entityId(trace, 'SERVICE', 'customer'));
});

t.test('HotROD rawServiceView: one row per API node, each a call into its service', async (t) => {
  const { trace, rows } = await hotrod();
  const services = rows.views.rawServiceView;
  t.equal(services.length, 13);
  t.same(count(services.map((r) => r.service_name)), { frontend: 1, customer: 1, driver: 1, route: 10 });
  t.ok(services.every((r) => r.num_calls === 1 && r.span_kind === 'ENTRY' && r.api_discovery_state === 'DISCOVERED'));
  t.same(services.map((r) => r.span_id).sort(), trace.apiNodes.map((n) => trace.spans[n.head].spanId).sort());
});

t.test('HotROD rawTraceView: one row naming the transaction and its four services', async (t) => {
  const { trace, rows } = await hotrod();
  t.equal(rows.views.rawTraceView.length, 1);
  const row = rows.views.rawTraceView[0];
  t.match(row, { transaction_name: 'GET /dispatch', num_spans: 50, num_services: 4, trace_id: trace.traceId });
  t.same([...(row.services as string[])].sort(), ['customer', 'driver', 'frontend', 'route']);
  t.equal(rows.views.logEventView.length, trace.spans.reduce((n, s) => n + s.events.length, 0), 'one log row per span event');
});

t.test('HotROD spanEventView: API-trace totals on the entry spans and callee-aware display names', async (t) => {
  const { trace, rows } = await hotrod();
  const spans = rows.views.spanEventView;
  const entryOf = (service: string): ViewRow => spans.find((r) => r.api_trace_count === 1 && r.service_name === service)!;
  t.match(entryOf('frontend'), { api_exit_calls: 12, api_callee_name_count: { customer: '1', driver: '1', route: '10' }, display_span_name: 'GET /dispatch' });
  t.match(entryOf('driver'), { api_exit_calls: 13, api_callee_name_count: { redis: '13' }, api_trace_error_span_count: 2 });
  const frontendSpans = spans.filter((r) => r.api_trace_id === entryOf('frontend').span_id);
  t.ok(frontendSpans.every((r) => r.api_exit_calls === 12 && r.entry_api_id === entryOf('frontend').api_id), 'every span of the API trace');
  t.ok(frontendSpans.filter((r) => r !== entryOf('frontend')).every((r) => r.api_callee_name_count === null), 'the callee map sits on the entry span only');
  const exits = spans.filter((r) => r.span_kind === 'EXIT');
  t.same(count(exits.map((r) => r.display_entity_name)), { customer: 1, driver: 1, route: 10, mysql: 1, redis: 13 });
  const toRoute = exits.filter((r) => r.display_entity_name === 'route');
  t.ok(toRoute.every((r) => r.display_span_name === 'GET /route'), 'an exit shows the API it calls');
  const redisNames = new Set(exits.filter((r) => r.display_entity_name === 'redis').map((r) => r.display_span_name));
  t.same(redisNames, new Set(trace.spans.filter((s) => s.serviceName === 'redis').map((s) => s.name)), 'a backend call without a path shows its operation');
});

t.test('HotROD rows carry exactly their views\' columns, identity columns always set', async (t) => {
  const { rows } = await hotrod();
  for (const view of VIEWS) {
    const got = rows.views[view.name];
    t.ok(got !== undefined, `${view.name} present`);
    const names = view.columns.map((c) => c.name).sort();
    t.ok(got.every((r) => JSON.stringify(Object.keys(r).sort()) === JSON.stringify(names)), `${view.name} columns`);
    for (const c of view.columns.filter((c) => c.required)) t.ok(got.every((r) => r[c.name] != null), `${view.name}.${c.name} is set`);
  }
});

t.test('buildRowsOf enriches, then builds the same rows', async (t) => {
  const { rows } = await hotrod();
  const rowsOf = buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() }));
  const built = await rowsOf(assembleTrace(decodeJaegerUiJson(body, '__default')));
  t.same(built, rows);
});
