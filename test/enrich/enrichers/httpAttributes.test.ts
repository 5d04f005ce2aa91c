import t from 'tap';
import { queryParams } from '../../../src/enrich/enrichers/httpAttributes.ts';
import { enrich } from '../build.ts';

t.test('query parameters are decoded, grouped by name, and empty pairs skipped', async (t) => {
  const rows: [string, Record<string, string[]> | null][] = [
    ['a=1&b=2&a=3', { a: ['1', '3'], b: ['2'] }],
    ['ids[]=4&ids[]=5', { ids: ['4', '5'] }],
    ['q=caf%C3%A9+au+lait&e%3Dq=x', { q: ['café au lait'], 'e=q': ['x'] }],
    ['empty=&=novalue&flag&ok=1', { ok: ['1'] }],
    ['bad=%E0%A4%A', { bad: ['%E0%A4%A'] }],
    ['', null],
    ['flag', null],
  ];
  for (const [query, expected] of rows) t.same(queryParams(query), expected, query);
});

t.test('HTTP spans get their path and query parameters; others do not', async (t) => {
  const { trace, at } = await enrich([
    { id: 'web', kind: 'SERVER', attrs: { 'http.method': 'GET', 'http.url': 'https://shop.example.com/search/?q=shoes&size=42' } },
    { id: 'db', parent: 'web', kind: 'CLIENT', attrs: { 'db.system': 'redis', 'net.peer.name': 'cache' } },
  ]);
  t.equal(trace.enriched.httpPath[at('web')], '/search');
  t.same(trace.enriched.queryParams[at('web')], { q: ['shoes'], size: ['42'] });
  t.equal(trace.enriched.httpPath[at('db')], '');
  t.equal(trace.enriched.queryParams[at('db')], null);
});

t.test('a URL without a scheme reads as host:port, then path and query', async (t) => {
  // HotROD's Go client reports `http.url` as "0.0.0.0:8081/customer?customer=392".
  const { trace, at } = await enrich([
    { id: 'api', service: 'shop', kind: 'SERVER', attrs: { 'http.method': 'GET', 'http.url': 'localhost:8080/users/42/' } },
    { id: 'call', service: 'shop', parent: 'api', kind: 'CLIENT', attrs: { 'http.method': 'GET', 'http.url': '0.0.0.0:8081/customer?customer=392' } },
    { id: 'bare', service: 'shop', parent: 'api', kind: 'CLIENT', attrs: { 'http.method': 'GET', 'http.url': '0.0.0.0:8083' } },
    { id: 'dotted', service: 'shop', parent: 'api', kind: 'CLIENT', attrs: { 'http.method': 'GET', 'http.url': 'v1.2/users' } },
  ]);
  const { httpPath, queryParams, apiName, backend } = trace.enriched;
  t.equal(httpPath[at('api')], '/users/42');
  t.equal(apiName[at('api')], 'GET /users/{id}');
  t.equal(httpPath[at('call')], '/customer');
  t.same(queryParams[at('call')], { customer: ['392'] });
  t.same([backend[at('call')]?.host, backend[at('call')]?.port], ['0.0.0.0', '8081'], 'the backend is the host:port called');
  t.equal(httpPath[at('bare')], '/', 'an authority alone is the root path, not "/0.0.0.0:8083"');
  t.equal(httpPath[at('dotted')], '/v1.2/users', 'a dotted name without a port stays a relative path');
});
