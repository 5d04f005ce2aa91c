import t from 'tap';
import { spanTypeEnricher, spanTypeOf } from '../../../src/enrich/enrichers/spanType.ts';
import type { SpanKind } from '../../../src/model/span.ts';
import { buildSpans, enrich } from '../build.ts';

t.test('span type comes from the span kind, then the older keys', async (t) => {
  const rows: [string, SpanKind, Record<string, string>, string, string][] = [
    ['server kind', 'SERVER', {}, 'op', 'ENTRY'],
    ['consumer kind', 'CONSUMER', {}, 'op', 'ENTRY'],
    ['client kind', 'CLIENT', {}, 'op', 'EXIT'],
    ['producer kind', 'PRODUCER', {}, 'op', 'EXIT'],
    ['internal kind', 'INTERNAL', {}, 'op', 'UNKNOWN'],
    ['span_kind tag', 'UNSPECIFIED', { span_kind: 'server' }, 'op', 'ENTRY'],
    ['span.kind tag', 'UNSPECIFIED', { 'span.kind': 'client' }, 'op', 'EXIT'],
    ['span_kind before span.kind', 'UNSPECIFIED', { span_kind: 'consumer', 'span.kind': 'client' }, 'op', 'ENTRY'],
    ['OpenCensus Client=true', 'UNSPECIFIED', { client: 'true' }, 'op', 'EXIT'],
    ['OpenCensus Client=false', 'UNSPECIFIED', { client: 'false' }, 'op', 'ENTRY'],
    ['Envoy ingress', 'UNSPECIFIED', { operationname: 'ingress' }, 'op', 'ENTRY'],
    ['Envoy egress', 'UNSPECIFIED', { operationname: 'egress' }, 'op', 'EXIT'],
    ['Sent. prefix', 'UNSPECIFIED', {}, 'Sent.shop.Cart.AddItem', 'EXIT'],
    ['Recv. prefix', 'UNSPECIFIED', {}, 'Recv.shop.Cart.AddItem', 'ENTRY'],
    ['nothing says', 'UNSPECIFIED', {}, 'op', 'UNKNOWN'],
  ];
  for (const [title, kind, attrs, name, expected] of rows) {
    t.equal(spanTypeOf(buildSpans([{ id: 'x', kind, attrs, name }])[0]), expected, title);
  }
});

t.test('the enricher fills span type and protocol for every span', async (t) => {
  const { trace, at } = await enrich(
    [
      { id: 'web', kind: 'SERVER', attrs: { 'http.method': 'GET', 'http.url': 'https://shop.example.com/x' } },
      { id: 'rpc', parent: 'web', kind: 'CLIENT', attrs: { 'rpc.system': 'grpc' } },
      { id: 'cache', parent: 'web', kind: 'CLIENT', attrs: { 'db.system': 'redis' } },
      { id: 'local', parent: 'web' },
    ],
    { enrichers: [spanTypeEnricher] },
  );
  const { spanType, protocol } = trace.enriched;
  t.same([spanType[at('web')], protocol[at('web')]], ['ENTRY', 'HTTPS']);
  t.same([spanType[at('rpc')], protocol[at('rpc')]], ['EXIT', 'GRPC']);
  t.same([spanType[at('cache')], protocol[at('cache')]], ['EXIT', 'REDIS']);
  t.same([spanType[at('local')], protocol[at('local')]], ['UNKNOWN', 'UNKNOWN']);
});
