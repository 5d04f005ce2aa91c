// OTLP/HTTP `POST /v1/traces` against the running receiver: both encodings, gzip, partial
// success, and every refusal (400, 404, 405, 413, 415, 429, 503) with its answer body.

import t from 'tap';
import { gzipSync } from 'node:zlib';
import { exhausted, unavailable } from '../../src/errors.ts';
import { ExportTraceServiceResponse, RpcStatus } from '../../src/ingest/protos.ts';
import { otlpJsonRequest, otlpProtoRequest, post, spansOf } from './requests.ts';
import { hex, startTestReceivers } from './support.ts';

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

t.test('OTLP/HTTP receiver', async (t) => {
  const { receivers, sink } = await startTestReceivers(t, { maxBodyBytes: 64 * 1024 });
  const url = `http://127.0.0.1:${receivers.ports.otlpHttp}/v1/traces`;

  t.test('accepts protobuf and answers an empty protobuf ExportTraceServiceResponse', async (t) => {
    const res = await post(url, otlpProtoRequest('checkout', spansOf(1, 3)), { ...PROTO, 'x-tenant-id': 'acme' });
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'application/x-protobuf');
    const answer = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(res.body));
    t.same(answer, {}, 'no partial_success when everything was accepted');
    const got = sink.spans.filter((s) => s.traceId === hex(1, 32));
    t.equal(got.length, 3);
    t.ok(got.every((s) => s.tenant === 'acme' && s.serviceName === 'checkout'), 'tenant from x-tenant-id, service from the resource');
  });

  t.test('accepts JSON with a charset and answers JSON', async (t) => {
    const res = await post(url, JSON.stringify(otlpJsonRequest('cart', spansOf(2, 2))), { 'content-type': 'application/json; charset=utf-8' });
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'application/json');
    t.same(JSON.parse(res.body.toString()), {});
    const got = sink.spans.filter((s) => s.traceId === hex(2, 32));
    t.equal(got.length, 2);
    t.ok(got.every((s) => s.tenant === 'default-tenant'), 'no header: the default tenant');
  });

  t.test('accepts gzip in both encodings', async (t) => {
    const proto = await post(url, gzipSync(otlpProtoRequest('gz', spansOf(3, 2))), { ...PROTO, 'content-encoding': 'gzip' });
    t.equal(proto.status, 200);
    const json = await post(url, gzipSync(JSON.stringify(otlpJsonRequest('gz', spansOf(4, 2)))), { ...JSON_TYPE, 'content-encoding': 'gzip' });
    t.equal(json.status, 200);
    t.equal(sink.spans.filter((s) => s.traceId === hex(3, 32) || s.traceId === hex(4, 32)).length, 4);
  });

  t.test('answers partial success naming the rejected span, and keeps the valid ones', async (t) => {
    const spans = spansOf(5, 3);
    spans[1].spanId = 'zz00000000000001';
    const body = JSON.parse(JSON.stringify(otlpJsonRequest('svc', spans)));
    const res = await post(url, JSON.stringify(body), JSON_TYPE);
    t.equal(res.status, 200);
    const answer = JSON.parse(res.body.toString());
    t.equal(Number(answer.partialSuccess.rejectedSpans), 1);
    t.match(answer.partialSuccess.errorMessage, 'zz00000000000001', 'the message names the span id');
    t.match(answer.partialSuccess.errorMessage, 'resource_spans[0].scope_spans[0].spans[1]', 'and its position');
    t.equal(sink.spans.filter((s) => s.traceId === hex(5, 32)).length, 2, 'the two valid spans are appended');

    const endBeforeStart = spansOf(6, 2);
    endBeforeStart[0].durUs = -5;
    const pres = await post(url, otlpProtoRequest('svc', endBeforeStart), PROTO);
    t.equal(pres.status, 200);
    const panswer = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(pres.body), { longs: Number });
    t.equal(panswer.partialSuccess.rejectedSpans, 1);
    t.match(panswer.partialSuccess.errorMessage, endBeforeStart[0].spanId);
    t.match(panswer.partialSuccess.errorMessage, 'end_time_unix_nano');
  });

  t.test('refuses a request whose every span is invalid with 400', async (t) => {
    const spans = spansOf(7, 1);
    spans[0].traceId = '00000000000000000000000000000000';
    const res = await post(url, otlpProtoRequest('svc', spans), PROTO);
    t.equal(res.status, 400);
    t.equal(RpcStatus.decode(res.body).toJSON().code, 3, 'google.rpc.Status INVALID_ARGUMENT');
    t.match(RpcStatus.decode(res.body).toJSON().message, spans[0].spanId);
  });

  t.test('refuses an undecodable body with 400 and a Status in the request encoding', async (t) => {
    const proto = await post(url, Buffer.from([0x0a, 0xff, 0xff, 0x01]), PROTO);
    t.equal(proto.status, 400);
    t.equal(proto.headers['content-type'], 'application/x-protobuf');
    t.equal(RpcStatus.decode(proto.body).toJSON().code, 3);
    const json = await post(url, '{"resourceSpans": [', JSON_TYPE);
    t.equal(json.status, 400);
    t.equal(JSON.parse(json.body.toString()).code, 3);
    const badGzip = await post(url, Buffer.from('not gzip at all'), { ...PROTO, 'content-encoding': 'gzip' });
    t.equal(badGzip.status, 400);
    const badTenant = await post(url, otlpProtoRequest('svc', spansOf(8, 1)), { ...PROTO, 'x-tenant-id': 'no spaces allowed' });
    t.equal(badTenant.status, 400);
  });

  t.test('answers 415 for other content types and encodings', async (t) => {
    t.equal((await post(url, 'hello', { 'content-type': 'text/plain' })).status, 415);
    t.equal((await post(url, '{}', { 'content-type': 'constructor' })).status, 415, 'a media type named like an Object property');
    t.equal((await post(url, 'hello', { ...JSON_TYPE, 'content-encoding': 'br' })).status, 415);
  });

  t.test('answers 404 elsewhere and 405 for other methods', async (t) => {
    t.equal((await post(`http://127.0.0.1:${receivers.ports.otlpHttp}/v1/metrics`, '{}', JSON_TYPE)).status, 404);
    const res = await fetch(url);
    t.equal(res.status, 405);
    t.equal(res.headers.get('allow'), 'POST');
  });

  t.test('answers 413 over the body limit, declared or streamed, compressed or not', async (t) => {
    const big = Buffer.alloc(256 * 1024, 0x41);
    t.equal((await post(url, big, PROTO)).status, 413, 'Content-Length over the limit');
    t.equal((await post(url, big, { ...PROTO, 'transfer-encoding': 'chunked' }, true)).status, 413, 'chunked body over the limit');
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    t.ok(bomb.length < 64 * 1024, 'the compressed body itself is small');
    t.equal((await post(url, bomb, { ...PROTO, 'content-encoding': 'gzip' })).status, 413, 'decompressed size over the limit');
  });

  t.test('answers 429 and 503 with Retry-After when the span log pushes back', async (t) => {
    t.teardown(() => {
      sink.refuseWith = undefined;
    });
    sink.refuseWith = exhausted('span log over its bound', 3);
    const full = await post(url, otlpProtoRequest('svc', spansOf(9, 1)), PROTO);
    t.equal(full.status, 429);
    t.equal(full.headers['retry-after'], '3');
    t.equal(RpcStatus.decode(full.body).toJSON().code, 8, 'RESOURCE_EXHAUSTED');
    sink.refuseWith = unavailable('span log unreachable', 2);
    const down = await post(url, JSON.stringify(otlpJsonRequest('svc', spansOf(9, 1))), JSON_TYPE);
    t.equal(down.status, 503);
    t.equal(down.headers['retry-after'], '2');
    t.equal(JSON.parse(down.body.toString()).code, 14, 'UNAVAILABLE');
    t.equal(sink.spans.filter((s) => s.traceId === hex(9, 32)).length, 0, 'nothing was acknowledged');
  });

  t.test('still serves after all of that, and counted every refusal', async (t) => {
    const res = await post(url, otlpProtoRequest('svc', spansOf(10, 2)), PROTO);
    t.equal(res.status, 200);
    t.equal(sink.spans.filter((s) => s.traceId === hex(10, 32)).length, 2);
    const counts = receivers.refusals().requests;
    t.ok(counts['otlp-http:INVALID_ARGUMENT'] >= 6, 'bad input counted');
    t.equal(counts['otlp-http:PAYLOAD_TOO_LARGE'], 3);
    t.equal(counts['otlp-http:UNSUPPORTED_MEDIA_TYPE'], 3);
    t.equal(counts['otlp-http:RESOURCE_EXHAUSTED'], 1);
    t.equal(counts['otlp-http:UNAVAILABLE'], 1);
  });
});
