// The real OpenTelemetry JS exporters (OTLP gRPC, OTLP HTTP/protobuf, OTLP HTTP/JSON, Zipkin)
// each send a three-span, two-service trace to the running receivers; the sink must receive it
// whole with ids, parents, services, kinds, status and lower-cased attributes intact.

process.env.OTEL_METRICS_EXPORTER = 'none';
process.env.OTEL_LOGS_EXPORTER = 'none';

import t, { type Test } from 'tap';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { Metadata } from '@grpc/grpc-js';
import type { Span } from '../../src/model/span.ts';
import { startTestReceivers } from './support.ts';

/** ExportResultCode.SUCCESS in @opentelemetry/core. */
const EXPORT_SUCCESS = 0;

/** frontend GET /checkout (SERVER) → backend SELECT (CLIENT, error) and backend publish (PRODUCER). */
function makeTrace(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = (service: string) =>
    new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'Deployment.Environment': 'test' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const frontend = provider('frontend').getTracer('web-instrumentation', '1.2.3');
  const backend = provider('backend').getTracer('db-instrumentation');
  const root = frontend.startSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: { 'HTTP.Method': 'GET', 'http.status_code': 200 } });
  const ctx = trace.setSpan(context.active(), root);
  const query = backend.startSpan('SELECT orders', {
    kind: SpanKind.CLIENT,
    attributes: { 'DB.System': 'postgresql', retries: 2, ratio: 0.5, cached: false, tables: ['orders', 'users'] },
  }, ctx);
  query.addEvent('exception', { 'exception.message': 'timeout' });
  query.setStatus({ code: SpanStatusCode.ERROR, message: 'query failed' });
  query.end();
  const publish = backend.startSpan('publish order', { kind: SpanKind.PRODUCER }, ctx);
  publish.end();
  root.end();
  return memory.getFinishedSpans();
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<number> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code)));
}

function received(all: Span[], sent: ReadableSpan[]): Map<string, Span> {
  const traceId = sent[0].spanContext().traceId;
  return new Map(all.filter((s) => s.traceId === traceId).map((s) => [s.spanId, s]));
}

/** What every exporter must deliver. */
function checkTrace(t: Test, got: Map<string, Span>, sent: ReadableSpan[], tenant: string): void {
  t.equal(got.size, sent.length, 'every span arrives once');
  const root = sent.find((s) => s.name === 'GET /checkout')!;
  const query = sent.find((s) => s.name === 'SELECT orders')!;
  const publish = sent.find((s) => s.name === 'publish order')!;
  const gotRoot = got.get(root.spanContext().spanId)!;
  const gotQuery = got.get(query.spanContext().spanId)!;
  const gotPublish = got.get(publish.spanContext().spanId)!;
  t.ok(gotRoot && gotQuery && gotPublish, 'the spans keep their ids');
  t.equal(gotRoot.parentSpanId, '', 'the root has no parent');
  t.equal(gotQuery.parentSpanId, root.spanContext().spanId, 'the child of another service points at its parent');
  t.equal(gotPublish.parentSpanId, root.spanContext().spanId);
  t.same([gotRoot.serviceName, gotQuery.serviceName, gotPublish.serviceName], ['frontend', 'backend', 'backend']);
  t.same([gotRoot.kind, gotQuery.kind, gotPublish.kind], ['SERVER', 'CLIENT', 'PRODUCER']);
  t.equal(gotRoot.attributes['http.method'], 'GET', 'attribute keys are lower-cased');
  t.equal(gotRoot.attributes['http.status_code'], '200', 'ints become decimal strings');
  t.equal(gotQuery.attributes['db.system'], 'postgresql');
  t.equal(gotQuery.statusCode, 2, 'an error status survives');
  t.equal(gotQuery.tenant, tenant);
  const duration = (s: ReadableSpan) => Math.round(s.duration[0] * 1e6 + s.duration[1] / 1e3);
  t.ok(Math.abs(gotQuery.endUs - gotQuery.startUs - duration(query)) <= 1, 'the duration is kept in microseconds');
  t.equal(gotQuery.startUs, Math.floor(query.startTime[0] * 1e6 + query.startTime[1] / 1e3), 'the start time is kept in microseconds');
}

t.test('real OpenTelemetry exporters deliver a multi-service trace', async (t) => {
  const { receivers, sink } = await startTestReceivers(t);
  const { otlpGrpc, otlpHttp, zipkin } = receivers.ports;

  t.test('OTLP gRPC exporter', async (t) => {
    const metadata = new Metadata();
    metadata.set('x-tenant-id', 'grpc-tenant');
    const exporter = new GrpcExporter({ url: `http://127.0.0.1:${otlpGrpc}`, metadata });
    t.teardown(() => exporter.shutdown());
    const spans = makeTrace();
    t.equal(await exportWith(exporter, spans), EXPORT_SUCCESS);
    const got = received(sink.spans, spans);
    checkTrace(t, got, spans, 'grpc-tenant');
    const query = [...got.values()].find((s) => s.name === 'SELECT orders')!;
    t.equal(query.attributes['retries'], '2');
    t.equal(query.attributes['ratio'], '0.5', 'doubles become String(n)');
    t.equal(query.attributes['cached'], 'false', 'booleans become "false"/"true"');
    t.equal(query.attributes['tables'], '["orders","users"]', 'arrays become JSON');
    t.equal(query.attributes['otel.scope.name'], 'db-instrumentation', 'the scope name is kept');
    t.equal(query.resource['deployment.environment'], 'test', 'resource attributes are kept, keys lower-cased');
    t.equal(query.statusMessage, 'query failed');
    t.same(query.events.map((e) => [e.name, e.attributes['exception.message']]), [['exception', 'timeout']]);
  });

  t.test('OTLP HTTP/protobuf exporter', async (t) => {
    const exporter = new ProtoExporter({ url: `http://127.0.0.1:${otlpHttp}/v1/traces`, headers: { 'x-tenant-id': 'proto-tenant' } });
    t.teardown(() => exporter.shutdown());
    const spans = makeTrace();
    t.equal(await exportWith(exporter, spans), EXPORT_SUCCESS);
    const got = received(sink.spans, spans);
    checkTrace(t, got, spans, 'proto-tenant');
    const root = [...got.values()].find((s) => s.name === 'GET /checkout')!;
    t.equal(root.attributes['otel.scope.version'], '1.2.3', 'the scope version is kept');
  });

  t.test('OTLP HTTP/JSON exporter', async (t) => {
    const exporter = new JsonExporter({ url: `http://127.0.0.1:${otlpHttp}/v1/traces` });
    t.teardown(() => exporter.shutdown());
    const spans = makeTrace();
    t.equal(await exportWith(exporter, spans), EXPORT_SUCCESS);
    const got = received(sink.spans, spans);
    checkTrace(t, got, spans, 'default-tenant');
    const query = [...got.values()].find((s) => s.name === 'SELECT orders')!;
    t.equal(query.attributes['tables'], '["orders","users"]', 'JSON and protobuf give the same attribute strings');
  });

  t.test('Zipkin exporter', async (t) => {
    const exporter = new ZipkinExporter({ url: `http://127.0.0.1:${zipkin}/api/v2/spans`, headers: { 'x-tenant-id': 'zipkin-tenant' } });
    t.teardown(() => exporter.shutdown());
    const spans = makeTrace();
    t.equal(await exportWith(exporter, spans), EXPORT_SUCCESS);
    checkTrace(t, received(sink.spans, spans), spans, 'zipkin-tenant');
  });
});
