// Users send spans with the OpenTelemetry JS SDK: each of its exporters (OTLP gRPC, OTLP HTTP
// protobuf, OTLP HTTP JSON, Zipkin) sends a multi-service trace to a running embedded node, and
// the trace is then found through GraphQL with the right span count and parent links.
process.env.OTEL_METRICS_EXPORTER = 'none';
process.env.OTEL_LOGS_EXPORTER = 'none';

import t from 'tap';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { startTestNode, type TestNode } from '../helpers/node.ts';
import { waitFor } from '../helpers/wait.ts';
import { traceSpans, traceSpanCount } from '../helpers/graphql.ts';

const HOUR = 3600_000;

/** Two services, each with its own provider and exporter, as two real processes would be. */
async function sendCheckout(makeExporter: () => SpanExporter) {
  const providers = ['storefront', 'inventory'].map((service) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [new BatchSpanProcessor(makeExporter(), { scheduledDelayMillis: 50 })],
    }));
  const [web, inv] = providers.map((p) => p.getTracer('checkout-test'));
  const root = web.startSpan('POST /checkout', { kind: SpanKind.SERVER, attributes: { 'http.method': 'POST', 'http.route': '/checkout' } });
  const rootCtx = trace.setSpan(context.active(), root);
  const call = web.startSpan('GET /stock', { kind: SpanKind.CLIENT }, rootCtx);
  const callCtx = trace.setSpan(rootCtx, call);
  const serve = inv.startSpan('GET /stock', { kind: SpanKind.SERVER }, callCtx);
  const query = inv.startSpan('SELECT stock', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, trace.setSpan(callCtx, serve));
  for (const s of [query, serve, call, root]) s.end();
  await Promise.all(providers.map((p) => p.forceFlush()));
  await Promise.all(providers.map((p) => p.shutdown()));
  const id = (s: typeof root) => s.spanContext().spanId;
  return {
    traceId: root.spanContext().traceId,
    parents: new Map([[id(root), null], [id(call), id(root)], [id(serve), id(call)], [id(query), id(serve)]]),
  };
}

const exporters: [string, (n: TestNode) => SpanExporter][] = [
  ['OTLP gRPC', (n) => new GrpcExporter({ url: `http://${n.otlpGrpc}` })],
  ['OTLP HTTP protobuf', (n) => new ProtoExporter({ url: n.otlpHttp })],
  ['OTLP HTTP JSON', (n) => new JsonExporter({ url: n.otlpHttp })],
  ['Zipkin', (n) => new ZipkinExporter({ url: n.zipkin })],
];

t.test('each OpenTelemetry exporter delivers a queryable multi-service trace', async (t) => {
  const n = await startTestNode(t);
  for (const [name, make] of exporters) {
    await t.test(name, async (t) => {
      const now = Date.now();
      const sent = await sendCheckout(() => make(n));
      const count = await waitFor(() => traceSpanCount(n.graphql, sent.traceId, now - HOUR, now + HOUR), { what: `the ${name} trace` });
      t.equal(count, 4, 'numSpans');
      const spans = await traceSpans(n.graphql, sent.traceId, now - HOUR, now + HOUR);
      t.equal(spans.total, 4);
      for (const s of spans.results) t.equal(s.parentSpanId || null, sent.parents.get(s.id), `parent of ${s.name}`);
      t.same(new Set(spans.results.map((s) => s.serviceName)), new Set(['storefront', 'inventory']));
    });
  }
});
