// serviceCallView row rules on hand-built traces: the four cases, their order, which span
// gives each side, and the backend URL.
import t from 'tap';
import { enrich, type SpanSpec } from '../enrich/build.ts';
import type { ViewRow } from '../../src/store/api.ts';
import { traceRowsOf } from '../../src/views/rows.ts';
import { backendUrl } from '../../src/views/serviceCallRows.ts';

async function calls(specs: SpanSpec[]) {
  const built = await enrich(specs);
  const spanId = (label: string) => built.trace.spans[built.at(label)].spanId;
  return { ...built, spanId, rows: traceRowsOf(built.trace).views.serviceCallView };
}
const sides = (r: ViewRow) => `${r.caller_service ?? '-'}:${r.caller_api ?? '-'} → ${r.callee_service ?? r.callee_backend_name ?? '-'}:${r.callee_api ?? '-'}`;

const HTTP = (method: string, extra: Record<string, string> = {}) => ({ 'http.method': method, ...extra });

t.test('an edge row takes the caller from the exit span and the callee and times from the entry span', async (t) => {
  const { rows, spanId, trace, at } = await calls([
    { id: 'a', service: 'web', kind: 'SERVER', name: 'GET /', attrs: HTTP('GET') },
    { id: 'x', parent: 'a', service: 'web', kind: 'CLIENT', name: 'call', attrs: { ...HTTP('POST'), error: 'true', 'exception.type': 'E' } },
    { id: 'b', parent: 'x', service: 'cart', kind: 'SERVER', name: 'add', attrs: HTTP('POST', { 'http.route': '/cart', 'http.url': 'http://cart/cart?id=1', 'http.status_code': '201', 'exception.type': 'F' }) },
  ]);
  t.same(rows.map(sides), ['web:GET / → cart:POST /cart', '-:- → web:GET /']);
  const edge = rows[0];
  const entry = trace.spans[at('b')];
  t.match(edge, {
    client_event_id: spanId('x'), server_event_id: spanId('b'), protocol_name: 'HTTP', request_method: 'POST',
    request_url: 'http://cart/cart?id=1', response_status_code: 201, start_time_millis: Math.floor(entry.startUs / 1000),
    start_time_micros: entry.startUs, duration_micros: entry.endUs - entry.startUs, num_calls: 1,
  });
  t.equal(edge.error_count, 1, 'an error on either side is one erroring call');
  t.equal(edge.exception_count, 2, 'exceptions of both sides add up');
  t.equal(edge.caller_service_id_str, trace.enriched.serviceId[at('x')]);
  t.equal(edge.callee_api_id_str, trace.enriched.apiId[at('b')]);
});

t.test('a proxy that emits only entry spans still links its caller and its callee', async (t) => {
  const { rows, spanId } = await calls([
    { id: 'gw', service: 'gateway', kind: 'SERVER', name: 'GET /orders', attrs: HTTP('GET') },
    { id: 'svc', parent: 'gw', service: 'orders', kind: 'SERVER', name: 'GET /orders', attrs: HTTP('GET') },
  ]);
  t.same(rows.map(sides), ['gateway:GET /orders → orders:GET /orders', '-:- → gateway:GET /orders']);
  t.match(rows[0], { client_event_id: spanId('gw'), server_event_id: spanId('svc') });
});

t.test('a backend call gives a caller-only row with the backend and its URL', async (t) => {
  const { rows, trace, at } = await calls([
    { id: 'a', service: 'web', kind: 'SERVER', name: 'GET /', attrs: HTTP('GET') },
    { id: 'pay', parent: 'a', service: 'web', kind: 'CLIENT', name: 'charge', attrs: HTTP('POST', { 'http.url': 'https://api.stripe.com:8443/v1/charges?x=1', 'http.status_code': '402' }) },
    { id: 'db', parent: 'a', service: 'web', kind: 'CLIENT', name: 'SELECT', attrs: { 'db.system': 'postgresql', 'net.peer.name': 'pg', 'net.peer.port': '5432', 'db.name': 'shop' } },
  ]);
  t.same(rows.map(sides), ['-:- → web:GET /', 'web:GET / → api.stripe.com:8443:-', 'web:GET / → pg:5432:-']);
  const pay = trace.enriched.backend[at('pay')]!;
  t.match(rows[1], {
    callee_backend_id: pay.id, callee_backend_name: pay.name, protocol_name: pay.protocol, request_url: backendUrl(pay),
    request_method: 'POST', response_status_code: 402, error_count: 1, callee_service: null, server_event_id: null,
  });
  t.equal(rows[1].request_url, 'HTTPS://api.stripe.com:8443/v1/charges');
  const db = trace.enriched.backend[at('db')]!;
  t.match(rows[2], { callee_backend_id: db.id, protocol_name: 'JDBC', request_method: null, response_status_code: null });
  t.equal(rows[2].request_url, backendUrl(db));
});

t.test('the backend URL leaves out an unknown port and an unknown protocol', async (t) => {
  t.equal(backendUrl({ protocol: 'REDIS', host: 'cache', port: '6379', path: '' }), 'REDIS://cache:6379');
  t.equal(backendUrl({ protocol: 'HTTPS', host: 'api.example.com', port: '-1', path: '/v1' }), 'HTTPS://api.example.com/v1');
  t.equal(backendUrl({ protocol: 'UNKNOWN', host: 'redis', port: '-1', path: '' }), 'redis');
});

t.test('a client-only root gives a callee row for the root and a caller row for its call', async (t) => {
  const { rows, spanId } = await calls([
    { id: 'job', service: 'cron', kind: 'INTERNAL', name: 'nightly' },
    { id: 'x', parent: 'job', service: 'cron', kind: 'CLIENT', name: 'GET' },
    { id: 'b', parent: 'x', service: 'billing', kind: 'SERVER', name: 'GET /run', attrs: HTTP('GET') },
    { id: 'c', parent: 'job', service: 'cron', kind: 'CLIENT', name: 'GET', attrs: { 'db.system': 'redis', 'net.peer.name': 'cache' } },
  ]);
  t.same(rows.map(sides), ['cron:- → billing:GET /run', 'cron:- → cache:-', '-:- → cron:-']);
  t.match(rows[2], { server_event_id: spanId('job'), callee_api: null, client_event_id: null });
});

t.test('a root whose parent is missing is not taken for the start of the trace', async (t) => {
  const { rows, trace } = await calls([
    { id: 'lost', parent: 'gone', service: 'cron', kind: 'INTERNAL', name: 'step' },
    { id: 'c', parent: 'lost', service: 'cron', kind: 'CLIENT', name: 'GET', attrs: { 'db.system': 'redis', 'net.peer.name': 'cache' } },
  ]);
  t.ok(trace.partial);
  t.same(rows.map(sides), ['cron:- → cache:-'], 'only the backend call');
});

t.test('a trace with no API boundary gives no rows', async (t) => {
  const { rows } = await calls([{ id: 'a', service: 'svc', kind: 'INTERNAL', name: 'work' }]);
  t.same(rows, []);
});
