import t from 'tap';
import { apiBoundaryEnricher, entryHostOf, hostWithoutPort } from '../../../src/enrich/enrichers/apiBoundary.ts';
import { spanTypeEnricher } from '../../../src/enrich/enrichers/spanType.ts';
import { enrich } from '../build.ts';
import type { SpanSpec } from '../build.ts';

const boundaries = async (specs: SpanSpec[]) => {
  const built = await enrich(specs, { enrichers: [spanTypeEnricher, apiBoundaryEnricher] });
  return Object.fromEntries(specs.map((s) => [s.id, built.trace.enriched.apiBoundary[built.at(s.id)]]));
};

t.test('API boundary rules, one trace per rule', async (t) => {
  const rows: [string, SpanSpec[], Record<string, string>][] = [
    ['a root entry enters an API', [{ id: 'e', kind: 'SERVER' }], { e: 'ENTRY' }],
    ['an entry whose parent is missing from the trace enters an API', [{ id: 'e', parent: 'gone', kind: 'SERVER' }], { e: 'ENTRY' }],
    [
      'an entry under an exit enters an API, and that exit leaves one',
      [{ id: 'x', kind: 'CLIENT', service: 'a' }, { id: 'e', parent: 'x', kind: 'SERVER', service: 'b' }],
      { x: 'EXIT', e: 'ENTRY' },
    ],
    [
      'an entry under an internal span enters an API',
      [{ id: 'i' }, { id: 'e', parent: 'i', kind: 'SERVER' }],
      { i: '', e: 'ENTRY' },
    ],
    [
      'an entry under an entry of the same service does not (nested server spans)',
      [{ id: 'e1', kind: 'SERVER', service: 'a' }, { id: 'e2', parent: 'e1', kind: 'SERVER', service: 'a' }],
      { e1: 'ENTRY', e2: '' },
    ],
    [
      'an entry under an entry of another service does (a proxy with no exit span)',
      [{ id: 'proxy', kind: 'SERVER', service: 'istio' }, { id: 'app', parent: 'proxy', kind: 'SERVER', service: 'app' }],
      { proxy: 'ENTRY', app: 'ENTRY' },
    ],
    ['a leaf exit leaves an API', [{ id: 'e', kind: 'SERVER' }, { id: 'x', parent: 'e', kind: 'CLIENT' }], { e: 'ENTRY', x: 'EXIT' }],
    [
      'an exit with only non-entry children does not (a client span wrapping another)',
      [{ id: 'x1', kind: 'CLIENT' }, { id: 'x2', parent: 'x1', kind: 'CLIENT' }],
      { x1: '', x2: 'EXIT' },
    ],
    [
      'an exit with one entry child among others does',
      [{ id: 'x', kind: 'CLIENT', service: 'a' }, { id: 'i', parent: 'x', service: 'a' }, { id: 'e', parent: 'x', kind: 'SERVER', service: 'b' }],
      { x: 'EXIT', i: '', e: 'ENTRY' },
    ],
    ['a client-only root that is a leaf leaves an API', [{ id: 'x', kind: 'CLIENT' }], { x: 'EXIT' }],
    ['internal spans are never boundaries', [{ id: 'i1' }, { id: 'i2', parent: 'i1' }], { i1: '', i2: '' }],
  ];
  for (const [title, specs, expected] of rows) t.same(await boundaries(specs), expected, title);
});

t.test('API-entry spans get the host the caller asked for', async (t) => {
  const { trace, at } = await enrich(
    [
      { id: 'e', kind: 'SERVER', attrs: { 'http.request.header.host': 'localhost:8080', 'http.host': 'shop.example.com:443' } },
      { id: 'inner', parent: 'e', kind: 'SERVER', attrs: { 'http.host': 'ignored.example.com' } },
      { id: 'g', parent: 'gone', kind: 'SERVER', attrs: { 'rpc.system': 'grpc', 'rpc.request.metadata.:authority': 'cart.svc:50051' } },
    ],
    { enrichers: [spanTypeEnricher, apiBoundaryEnricher] },
  );
  t.equal(trace.enriched.httpHost[at('e')], 'shop.example.com', 'localhost is skipped and the port dropped');
  t.equal(trace.enriched.httpHost[at('inner')], '', 'only API entries get one');
  t.equal(trace.enriched.httpHost[at('g')], 'cart.svc', 'gRPC reads the :authority metadata');
});

t.test('host values are reduced to the host', async (t) => {
  const rows: [string, string][] = [
    ['shop.example.com:8443', 'shop.example.com'],
    ['https://shop.example.com/path', 'shop.example.com'],
    ['[::1]:8080', '[::1]'],
    ['LOCALHOST', ''],
    ['  ', ''],
  ];
  for (const [value, expected] of rows) t.equal(hostWithoutPort(value), expected, value);
  t.equal(entryHostOf({ 'http.request.header.x-forwarded-host': 'api.example.com' }, false), 'api.example.com');
});

t.test('host values keep their answer past the bound of remembered hosts', async (t) => {
  // More distinct values than hostWithoutPort remembers, twice: the second pass reads answers
  // kept or worked out again after the table was cleared, and both must be right.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < 1500; i++) {
      if (hostWithoutPort(`h${i}.example.com:${i}`) !== `h${i}.example.com`) t.fail(`pass ${pass}: h${i}`);
    }
  }
  t.equal(hostWithoutPort(''), '');
  t.equal(hostWithoutPort('localhost:80'), '');
  t.equal(hostWithoutPort('[::1]:8080'), '[::1]');
});
