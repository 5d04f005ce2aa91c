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
