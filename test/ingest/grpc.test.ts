// The gRPC receivers against real grpc-js clients: OTLP TraceService/Export (raw bytes, so bad
// input can be sent) and Jaeger CollectorService/PostSpans through a client generated from
// protos/ by proto-loader.

import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { exhausted, unavailable } from '../../src/errors.ts';
import { ExportTraceServiceResponse, JaegerPostSpansRequest, loadGrpcDefinitions } from '../../src/ingest/protos.ts';
import { JAEGER_POST_SPANS_PATH, OTLP_EXPORT_PATH, grpcCall, otlpProtoRequest, spansOf } from './requests.ts';
import { hex, startTestReceivers } from './support.ts';

const tenantMetadata = (tenant: string) => {
  const m = new grpc.Metadata();
  m.set('x-tenant-id', tenant);
  return m;
};

const ts = (us: number) => ({ seconds: Math.floor(us / 1e6), nanos: (us % 1e6) * 1000 });

/** A Jaeger batch: frontend root → child (CHILD_OF) → follower (FOLLOWS_FROM), 64-bit trace id. */
function jaegerBatch(traceLow: string) {
  const traceId = Buffer.from(hex(0, 16) + traceLow, 'hex');
  const id = (n: number) => Buffer.from(hex(n, 16), 'hex');
  const start = 1_613_406_996_356_635;
  return {
    batch: {
      process: { serviceName: 'frontend', tags: [{ key: 'Hostname', vType: 0, vStr: 'host-1' }] },
      spans: [
        { traceId, spanId: id(1), operationName: 'HTTP GET /dispatch', startTime: ts(start), duration: ts(700_000),
          tags: [{ key: 'span.kind', vStr: 'server' }, { key: 'http.status_code', vType: 2, vInt64: 200 }, { key: 'sampler.param', vType: 1, vBool: true }] },
        { traceId, spanId: id(2), operationName: 'GET /customer', startTime: ts(start + 10), duration: ts(300_000),
          references: [{ traceId, spanId: id(1), refType: 0 }],
          tags: [{ key: 'span.kind', vStr: 'client' }, { key: 'error', vType: 1, vBool: true }, { key: 'ratio', vType: 3, vFloat64: 0.25 }],
          logs: [{ timestamp: ts(start + 20), fields: [{ key: 'event', vStr: 'retrying' }, { key: 'attempt', vType: 2, vInt64: 2 }] }] },
        { traceId, spanId: id(3), operationName: 'async audit', startTime: ts(start + 400_000), duration: ts(1000),
          references: [{ traceId, spanId: id(2), refType: 1 }],
          process: { serviceName: 'audit', tags: [] } },
      ],
    },
  };
}

t.test('gRPC receivers', async (t) => {
  const { receivers, sink } = await startTestReceivers(t, { maxBodyBytes: 64 * 1024 });
  const { otlpGrpc, jaegerGrpc } = receivers.ports;

  t.test('OTLP Export takes the tenant from metadata and answers without partial_success', async (t) => {
    const res = await grpcCall(otlpGrpc, OTLP_EXPORT_PATH, otlpProtoRequest('api', spansOf(1, 2)), tenantMetadata('acme'));
    t.equal(res.code, grpc.status.OK);
    t.same(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(res.reply!)), {});
    const got = sink.spans.filter((s) => s.traceId === hex(1, 32));
    t.equal(got.length, 2);
    t.ok(got.every((s) => s.tenant === 'acme'));
  });

  t.test('OTLP Export reports rejected spans through partial_success', async (t) => {
    const spans = spansOf(2, 3);
    spans[2].spanId = '0000000000000000';
    const res = await grpcCall(otlpGrpc, OTLP_EXPORT_PATH, otlpProtoRequest('api', spans));
    t.equal(res.code, grpc.status.OK);
    const answer = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(res.reply!), { longs: Number });
    t.equal(answer.partialSuccess.rejectedSpans, 1);
    t.match(answer.partialSuccess.errorMessage, 'spans[2]', 'the message names the span');
    t.match(answer.partialSuccess.errorMessage, 'span_id');
    t.equal(sink.spans.filter((s) => s.traceId === hex(2, 32)).length, 2);
  });

  t.test('OTLP Export refuses undecodable bytes with INVALID_ARGUMENT', async (t) => {
    const res = await grpcCall(otlpGrpc, OTLP_EXPORT_PATH, Buffer.from([0x0a, 0x05, 0x01]));
    t.equal(res.code, grpc.status.INVALID_ARGUMENT);
  });

  t.test('OTLP Export refuses a message over the body limit with RESOURCE_EXHAUSTED', async (t) => {
    const spans = spansOf(3, 1);
    spans[0].attributes = { big: 'x'.repeat(100 * 1024) };
    const res = await grpcCall(otlpGrpc, OTLP_EXPORT_PATH, otlpProtoRequest('api', spans));
    t.equal(res.code, grpc.status.RESOURCE_EXHAUSTED);
    t.equal(sink.spans.filter((s) => s.traceId === hex(3, 32)).length, 0);
  });

  t.test('back-pressure maps to RESOURCE_EXHAUSTED and UNAVAILABLE with a retry-after hint', async (t) => {
    t.teardown(() => {
      sink.refuseWith = undefined;
    });
    sink.refuseWith = exhausted('over its bound', 4);
    const full = await grpcCall(otlpGrpc, OTLP_EXPORT_PATH, otlpProtoRequest('api', spansOf(4, 1)));
    t.equal(full.code, grpc.status.RESOURCE_EXHAUSTED);
    t.same(full.metadata?.get('retry-after'), ['4']);
    sink.refuseWith = unavailable('log down');
    const down = await grpcCall(jaegerGrpc, JAEGER_POST_SPANS_PATH, JaegerPostSpansRequest.encode(JaegerPostSpansRequest.fromObject(jaegerBatch('00000000000000aa'))).finish());
    t.equal(down.code, grpc.status.UNAVAILABLE);
  });

  t.test('Jaeger PostSpans from a proto-loader client: typed tags, references, processes', async (t) => {
    const pkg = grpc.loadPackageDefinition(loadGrpcDefinitions()) as any;
    const client = new pkg.jaeger.api_v2.CollectorService(`127.0.0.1:${jaegerGrpc}`, grpc.credentials.createInsecure());
    t.teardown(() => client.close());
    const err = await new Promise<grpc.ServiceError | null>((resolve) => client.PostSpans(jaegerBatch('383acc79e53b84da'), tenantMetadata('hotrod'), resolve));
    t.equal(err, null);
    const traceId = '0000000000000000383acc79e53b84da';
    const got = sink.spans.filter((s) => s.traceId === traceId);
    t.equal(got.length, 3, 'the 64-bit trace id is zero-extended');
    const [root, child, follower] = [1, 2, 3].map((n) => got.find((s) => s.spanId === hex(n, 16))!);
    t.equal(root.parentSpanId, '');
    t.equal(child.parentSpanId, root.spanId, 'CHILD_OF gives the parent');
    t.equal(follower.parentSpanId, child.spanId, 'FOLLOWS_FROM gives the parent too');
    t.same([root.serviceName, child.serviceName, follower.serviceName], ['frontend', 'frontend', 'audit'], "a span's own process wins");
    t.same([root.kind, child.kind], ['SERVER', 'CLIENT'], 'kind from the span.kind tag');
    t.equal(root.attributes['http.status_code'], '200');
    t.equal(root.attributes['sampler.param'], 'true');
    t.equal(child.attributes['ratio'], '0.25');
    t.equal(child.statusCode, 2, 'the error tag marks an error');
    t.equal(root.resource['hostname'], 'host-1', 'process tags become the resource, keys lower-cased');
    t.equal(root.endUs - root.startUs, 700_000);
    t.same(child.events, [{ timeUs: 1_613_406_996_356_655, name: 'retrying', attributes: { event: 'retrying', attempt: '2' } }]);
    t.ok(got.every((s) => s.tenant === 'hotrod'));
  });

  t.test('Jaeger PostSpans refuses a batch with an invalid span, appending nothing', async (t) => {
    const req = jaegerBatch('00000000000000bb');
    req.batch.spans[1].spanId = Buffer.from('0102', 'hex');
    const res = await grpcCall(jaegerGrpc, JAEGER_POST_SPANS_PATH, JaegerPostSpansRequest.encode(JaegerPostSpansRequest.fromObject(req)).finish());
    t.equal(res.code, grpc.status.INVALID_ARGUMENT);
    t.match(res.details, 'batch.spans[1]', 'the message names the span');
    t.equal(sink.spans.filter((s) => s.traceId.endsWith('00000000000000bb')).length, 0);
  });

  t.test('still serves after the refusals', async (t) => {
    const res = await grpcCall(otlpGrpc, OTLP_EXPORT_PATH, otlpProtoRequest('api', spansOf(5, 1)));
    t.equal(res.code, grpc.status.OK);
    const counts = receivers.refusals().requests;
    t.equal(counts['otlp-grpc:INVALID_ARGUMENT'], 2, 'the undecodable request and the partial success');
    t.equal(counts['otlp-grpc:RESOURCE_EXHAUSTED'], 1);
    t.equal(counts['jaeger-grpc:UNAVAILABLE'], 1);
    t.equal(counts['jaeger-grpc:INVALID_ARGUMENT'], 1);
  });
});
