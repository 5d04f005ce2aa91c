// spanEventView row rules on small hand-built traces (test/enrich/build.ts): request_url per
// protocol, display names with the callee rules, API-trace totals, status and fallbacks.
import t from 'tap';
import { enrich, type SpanSpec } from '../enrich/build.ts';
import { spanTypeEnricher } from '../../src/enrich/enrichers/spanType.ts';
import type { ViewRow } from '../../src/store/api.ts';
import { traceRowsOf } from '../../src/views/rows.ts';

/** web's API GET /x calls cart (through a wrapper span), Stripe, a Redis cache and a gRPC service nobody traced. */
const SHOP: SpanSpec[] = [
  { id: 'entry', service: 'web', kind: 'SERVER', name: 'GET /x', attrs: { 'http.method': 'GET', 'http.url': 'https://shop.example.com/x?y=1', 'http.status_code': '200' } },
  { id: 'wrapper', parent: 'entry', service: 'web', kind: 'CLIENT', name: 'wrapper' },
  { id: 'toCart', parent: 'wrapper', service: 'web', kind: 'CLIENT', name: 'HTTP GET', attrs: { 'http.method': 'GET', 'http.url': 'http://cart:8080/items/42', 'http.status_code': '404' } },
  { id: 'cart', parent: 'toCart', service: 'cart', kind: 'SERVER', name: 'items', attrs: { 'http.method': 'GET', 'http.target': '/items/42?full=1', 'http.route': '/items/:id', 'http.status_code': '404' } },
  { id: 'stripe', parent: 'entry', service: 'web', kind: 'CLIENT', name: 'POST', attrs: { 'http.method': 'POST', 'http.url': 'https://api.stripe.com/v1/charges', 'http.status_code': '201' } },
  { id: 'redis', parent: 'entry', service: 'web', kind: 'CLIENT', name: 'HGET', attrs: { 'db.system': 'redis', 'net.peer.name': 'cache', 'net.peer.port': '6379' } },
  { id: 'grpc', parent: 'entry', service: 'web', kind: 'CLIENT', name: 'shop.Cart/Add', attrs: { 'rpc.system': 'grpc', 'rpc.service': 'shop.Cart', 'rpc.method': 'Add', 'rpc.grpc.status_code': '5' } },
  { id: 'compute', parent: 'entry', service: 'web', kind: 'INTERNAL', name: 'compute', status: 2 },
];

async function shop(specs = SHOP) {
  const built = await enrich(specs);
  const rows = traceRowsOf(built.trace).views.spanEventView;
  return { ...built, row: (label: string): ViewRow => rows[built.at(label)], rows };
}

t.test('request_url is the full URL, else the path, for HTTP; the gRPC URL for gRPC; null otherwise', async (t) => {
  const { row } = await shop();
  t.equal(row('entry').request_url, 'https://shop.example.com/x?y=1', 'an absolute URL is kept whole');
  t.equal(row('cart').request_url, '/items/42', 'without a full URL, the path');
  t.equal(row('grpc').request_url, 'Sent.shop.Cart.Add', '"Sent." and the endpoint on a gRPC client');
  t.equal(row('redis').request_url, null, 'Redis has none');
  t.equal(row('compute').request_url, null);
});

t.test('an exit span is displayed as the API or backend it calls', async (t) => {
  const { row } = await shop();
  t.match(row('toCart'), { display_entity_name: 'cart', display_span_name: 'GET /items/:id' }, 'the callee API and its service');
  t.match(row('wrapper'), { display_entity_name: 'cart', display_span_name: 'GET /items/:id' }, 'exit spans above the boundary call it too');
  t.match(row('stripe'), { display_entity_name: 'api.stripe.com', display_span_name: '/v1/charges' }, 'the backend and its path');
  t.match(row('redis'), { display_entity_name: 'cache:6379', display_span_name: 'HGET' }, 'a backend without a path shows the operation');
  t.match(row('grpc'), { display_entity_name: 'web', display_span_name: 'shop.Cart/Add' }, 'no callee and no backend: its own service and name');
});

t.test('entry spans show their API name, other spans their operation name', async (t) => {
  const { row } = await shop();
  t.match(row('entry'), { display_entity_name: 'web', display_span_name: 'GET /x', api_name: 'GET /x' });
  t.match(row('cart'), { display_entity_name: 'cart', display_span_name: 'GET /items/:id', event_name: 'items' });
  t.match(row('compute'), { display_entity_name: 'web', display_span_name: 'compute' });
});

t.test('every span of an API trace has its exit calls; the entry span has the callee counts', async (t) => {
  const { row, rows, trace, at } = await shop();
  const entry = row('entry');
  t.equal(entry.api_exit_calls, 4, 'cart, Stripe, the cache and the untraced gRPC service');
  t.same(entry.api_callee_name_count, { cart: '1', 'api.stripe.com': '1', 'cache:6379': '1', 'unknown-backend': '1' });
  const node = rows.filter((r) => r.api_trace_id === entry.span_id);
  t.equal(node.length, SHOP.length - 1, 'every web span is in the API trace');
  t.ok(node.every((r) => r.api_exit_calls === 4 && r.entry_api_id === entry.api_id));
  t.ok(node.every((r) => r === entry || (r.api_callee_name_count === null && r.api_trace_count === 0)));
  t.match(row('cart'), { api_exit_calls: 0, api_callee_name_count: null, api_trace_count: 1, api_trace_id: trace.spans[at('cart')].spanId });
});

t.test('exit calls count each call by callee name', async (t) => {
  const specs: SpanSpec[] = [{ id: 'entry', service: 'a', kind: 'SERVER', name: 'GET /a', attrs: { 'http.method': 'GET' } }];
  for (let k = 0; k < 3; k++) {
    specs.push({ id: `x${k}`, parent: 'entry', service: 'a', kind: 'CLIENT', name: 'call b' });
    specs.push({ id: `b${k}`, parent: `x${k}`, service: 'b', kind: 'SERVER', name: 'GET /b', attrs: { 'http.method': 'GET' } });
  }
  for (let k = 0; k < 2; k++) specs.push({ id: `r${k}`, parent: 'entry', service: 'a', kind: 'CLIENT', name: 'GET', attrs: { 'db.system': 'redis', 'net.peer.name': 'cache' } });
  const { row } = await shop(specs);
  t.match(row('entry'), { api_exit_calls: 5, api_callee_name_count: { b: '3', cache: '2' } });
  t.match(row('b0'), { api_exit_calls: 0, api_callee_name_count: null }, 'an API trace that calls nothing');
});

t.test('the entry span counts the erroring spans of its API trace', async (t) => {
  const specs: SpanSpec[] = [{ id: 'entry', service: 'a', kind: 'SERVER', name: 'GET /a', attrs: { 'http.method': 'GET', 'http.status_code': '200' } }];
  for (let k = 0; k < 5; k++) specs.push({ id: `f${k}`, parent: 'entry', service: 'a', kind: 'INTERNAL', name: `step ${k}`, status: 2 });
  specs.push({ id: 'ok', parent: 'entry', service: 'a', kind: 'INTERNAL', name: 'fine' });
  const { row, rows } = await shop(specs);
  t.equal(row('entry').api_trace_error_span_count, 5);
  t.equal(row('entry').error_count, 0);
  t.ok(rows.filter((r) => r !== row('entry')).every((r) => r.api_trace_error_span_count === 0), 'only on the entry span');
  t.same(rows.map((r) => r.error_count), rows.map((r) => (r.status === 'FAIL' ? 1 : 0)));
});

t.test('status is the HTTP or gRPC status, else the span status', async (t) => {
  const { row } = await shop();
  t.match(row('entry'), { status: 'SUCCESS', status_code: '200', status_message: 'OK' });
  t.match(row('toCart'), { status: 'FAIL', status_code: '404', status_message: 'Not Found', error_count: 1 });
  t.match(row('grpc'), { status: 'FAIL', status_code: '5', status_message: 'NOT_FOUND' });
  t.match(row('compute'), { status: 'FAIL', status_code: null, status_message: null });
  t.match(row('redis'), { status: null, status_code: null });
});

t.test('service, API and discovery columns come from the entities', async (t) => {
  const { row, trace } = await shop();
  const id = (type: string, name: string) => trace.entities.find((e) => e.type === type && e.name === name)?.id;
  t.match(row('entry'), { service_id: id('SERVICE', 'web'), api_id: id('API', 'GET /x'), api_discovery_state: 'DISCOVERED', protocol_name: 'HTTPS', api_boundary_type: 'ENTRY' });
  t.match(row('stripe'), { service_id: id('SERVICE', 'web'), api_id: id('API', 'GET /x'), api_discovery_state: null, api_boundary_type: 'EXIT' }, 'a span of the API trace carries its API');
  t.match(row('wrapper'), { api_boundary_type: null, span_kind: 'EXIT', kind: 'CLIENT' });
  t.match(row('compute'), { span_kind: 'UNKNOWN', protocol_name: '' });
});

t.test('when enrichment failed, a span still shows its own service and name', async (t) => {
  const built = await enrich(SHOP, { enrichers: [spanTypeEnricher] });
  const rows = traceRowsOf(built.trace).views.spanEventView;
  const entry = rows[built.at('entry')];
  t.match(entry, { service_name: 'web', service_id: null, api_id: null, display_entity_name: 'web', display_span_name: 'GET /x', span_kind: 'ENTRY' });
  t.equal(rows[built.at('cart')].service_name, 'cart');
  const trace = traceRowsOf(built.trace).views.rawTraceView[0];
  t.same(trace.services, ['web', 'cart'], 'services from the spans');
  t.equal(trace.transaction_name, 'GET /x', 'the root span names the trace');
});
