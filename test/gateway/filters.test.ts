// Each filter operator, order, limit, offset and total through GraphQL on the HotROD spans;
// every expectation is computed from the fixture's spans, not copied from a run.
import t from 'tap';
import type { Span } from '../../src/model/span.ts';
import { between, hotrodSpans, rowsOf, startGateway } from './fixture.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';

const hotrod = hotrodSpans();
const startMs = Math.floor(Math.min(...hotrod.map((s) => s.startUs)) / 1000);
const B = between(startMs - 1800e3, startMs + 1800e3);
const durMs = (s: Span) => Math.floor((s.endUs - s.startUs) / 1000);
const median = [...hotrod].map(durMs).sort((a, b) => a - b)[hotrod.length >> 1];
// Service and span names as the views hold them (SPAN.serviceName is the reported service).
const rowOf = new Map((await rowsOf(assembleTrace(hotrod))).views.spanEventView.map((r) => [r.span_id, r]));
const svc = (s: Span) => String(rowOf.get(s.spanId)!.reported_service_name);
const shown = (s: Span) => String(rowOf.get(s.spanId)!.display_span_name);

t.test('each filter operator selects the spans the data says it should', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  const ids = async (filter: string): Promise<string[]> => {
    const d = await gw.data(`{ spans(limit: 1000, ${B}, filterBy: [${filter}]) { results { id } total } }`);
    t.equal(d.spans.total, d.spans.results.length, `total agrees for ${filter}`);
    return d.spans.results.map((r: { id: string }) => r.id).sort();
  };
  const want = (keep: (s: Span) => boolean) => hotrod.filter(keep).map((s) => s.spanId).sort();
  const f = (key: string, operator: string, value: unknown) =>
    `{type: ATTRIBUTE, keyExpression: {key: "${key}"}, operator: ${operator}, value: ${JSON.stringify(value)}}`;
  const tag = (k: string, operator: string, value: unknown) =>
    `{type: ATTRIBUTE, keyExpression: {key: "spanTags", subpath: "${k}"}, operator: ${operator}, value: ${JSON.stringify(value)}}`;
  const cases: [string, string, (s: Span) => boolean][] = [
    ['EQUALS', f('serviceName', 'EQUALS', 'driver'), (s) => svc(s) === 'driver'],
    ['NOT_EQUALS', f('serviceName', 'NOT_EQUALS', 'frontend'), (s) => svc(s) !== 'frontend'],
    ['IN', f('serviceName', 'IN', ['route', 'customer']), (s) => ['route', 'customer'].includes(svc(s))],
    ['NOT_IN', f('serviceName', 'NOT_IN', ['frontend', 'driver']), (s) => !['frontend', 'driver'].includes(svc(s))],
    ['LESS_THAN', f('duration', 'LESS_THAN', median), (s) => durMs(s) < median],
    ['LESS_THAN_OR_EQUAL_TO', f('duration', 'LESS_THAN_OR_EQUAL_TO', median), (s) => durMs(s) <= median],
    ['GREATER_THAN', f('duration', 'GREATER_THAN', median), (s) => durMs(s) > median],
    ['GREATER_THAN_OR_EQUAL_TO with a numeric string', f('duration', 'GREATER_THAN_OR_EQUAL_TO', String(median)), (s) => durMs(s) >= median],
    ['LIKE is a regular expression', f('displaySpanName', 'LIKE', '^(GET|POST) /(cust|rou)'), (s) => /^(GET|POST) \/(cust|rou)/.test(shown(s))],
    ['EQUALS on a spanTags subpath', tag('span.kind', 'EQUALS', 'client'), (s) => s.attributes['span.kind'] === 'client'],
    ['LIKE on a spanTags subpath', tag('sql.query', 'LIKE', 'customer_id=\\d+$'), (s) => /customer_id=\d+$/.test(s.attributes['sql.query'] ?? '')],
    ['CONTAINS_KEY', f('spanTags', 'CONTAINS_KEY', ['peer.service']), (s) => 'peer.service' in s.attributes],
    ['NOT_CONTAINS_KEY', f('spanTags', 'NOT_CONTAINS_KEY', ['peer.service']), (s) => !('peer.service' in s.attributes)],
    ['CONTAINS_KEY_VALUE', f('spanTags', 'CONTAINS_KEY_VALUE', ['peer.service', 'mysql']), (s) => s.attributes['peer.service'] === 'mysql'],
    ['GREATER_THAN_OR_EQUAL_TO on startTime with an ISO time', f('startTime', 'GREATER_THAN_OR_EQUAL_TO', new Date(startMs + 100).toISOString()), (s) => Math.floor(s.startUs / 1000) >= startMs + 100],
  ];
  for (const [title, filter, keep] of cases) {
    const expected = want(keep);
    t.same(await ids(filter), expected, `${title} (${expected.length} spans)`);
  }
  t.ok(cases.every(([, , keep]) => hotrod.some(keep)), 'every case selects something, so each can fail');
  const both = await ids(`${cases[0][1]}, ${cases[6][1]}`);
  t.same(both, want((s) => cases[0][2](s) && cases[6][2](s)), 'filters are ANDed');
});

t.test('orderBy, limit, offset, count and total page through the spans', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  const sorted = [...hotrod].sort((a, b) => durMs(b) - durMs(a) || (a.spanId < b.spanId ? -1 : 1));
  const page = async (limit: number, offset: number) =>
    (await gw.data(`{ spans(${B}, limit: ${limit}, offset: ${offset}, orderBy: [{keyExpression: {key: "duration"}, direction: DESC}, {key: "id"}]) { results { id d: attribute(expression: {key: "duration"}) } count total } }`)).spans;
  const p = await page(7, 3);
  t.same(p.results.map((r: { id: string }) => r.id), sorted.slice(3, 10).map((s) => s.spanId));
  t.equal(p.count, 7);
  t.equal(p.total, hotrod.length);
  const last = await page(10, hotrod.length - 4);
  t.equal(last.count, 4, 'the last page holds what is left');
  const d = await gw.data(`{ spans(${B}) { count } }`);
  t.equal(d.spans.count, Math.min(100, hotrod.length), 'limit defaults to 100');
  const byTag = await gw.data(`{ spans(${B}, limit: 1000, filterBy: [{type: ATTRIBUTE, keyExpression: {key: "spanTags"}, operator: CONTAINS_KEY, value: "sql.query"}], orderBy: [{keyExpression: {key: "spanTags", subpath: "sql.query"}}]) { results { q: attribute(expression: {key: "spanTags", subpath: "sql.query"}) } } }`);
  const queries = hotrod.map((s) => s.attributes['sql.query']).filter((q): q is string => q !== undefined).sort();
  t.same(byTag.spans.results.map((r: { q: string }) => r.q), queries, 'order by and select a map subpath');
});

t.test('traces filter and order on their own attributes', async (t) => {
  const other = hotrodSpans().map((s) => ({ ...s, traceId: 'ab'.repeat(16), serviceName: s.serviceName === 'route' ? 'router' : s.serviceName }));
  const gw = await startGateway(t, [hotrod, other]);
  const ids = async (filter: string) =>
    (await gw.data(`{ traces(type: TRACE, ${B}, filterBy: [${filter}]) { results { id services: attribute(expression: {key: "services"}) } } }`)).traces.results;
  const withRoute = await ids(`{type: ATTRIBUTE, keyExpression: {key: "services"}, operator: EQUALS, value: "route"}`);
  t.same(withRoute.map((r: { id: string }) => r.id), [hotrod[0].traceId], 'a list attribute matches when one element does');
  const services = (await rowsOf(assembleTrace(hotrod))).views.rawTraceView[0].services as string[];
  t.same([...withRoute[0].services].sort(), [...services].sort(), 'services come back as a list');
  const big = await ids(`{type: ATTRIBUTE, keyExpression: {key: "numSpans"}, operator: GREATER_THAN_OR_EQUAL_TO, value: ${hotrod.length}}`);
  t.equal(big.length, 2);
  const none = await ids(`{type: ATTRIBUTE, keyExpression: {key: "numSpans"}, operator: GREATER_THAN, value: ${hotrod.length}}`);
  t.equal(none.length, 0);
});
