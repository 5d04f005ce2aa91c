// Over the span log's bound, every receiver refuses a request before decoding it (the sink's
// `refusal()`), so an overloaded node spends no CPU on requests it will refuse. Proof: a body
// that would fail to decode is answered with the retryable refusal, not INVALID_ARGUMENT, and
// the same body is INVALID_ARGUMENT again once the refusal lifts.

import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { exhausted } from '../../src/errors.ts';
import { ZIPKIN_SPANS_PATH } from '../../src/ingest/zipkin-jaeger-http.ts';
import { JAEGER_POST_SPANS_PATH, OTLP_EXPORT_PATH, grpcCall, post } from './requests.ts';
import { startTestReceivers } from './support.ts';

const GARBAGE = Buffer.from([0x0a, 0x05, 0x01]);

t.test('every receiver refuses before decoding while the log is full', async (t) => {
  const { receivers, sink } = await startTestReceivers(t);
  const { otlpHttp, otlpGrpc, zipkin, jaegerGrpc } = receivers.ports;
  const httpCases = [
    { name: 'OTLP/HTTP protobuf', url: `http://127.0.0.1:${otlpHttp}/v1/traces`, type: 'application/x-protobuf' },
    { name: 'OTLP/HTTP JSON', url: `http://127.0.0.1:${otlpHttp}/v1/traces`, type: 'application/json' },
    { name: 'Zipkin JSON', url: `http://127.0.0.1:${zipkin}${ZIPKIN_SPANS_PATH}`, type: 'application/json' },
  ];
  const grpcCases = [
    { name: 'OTLP/gRPC', port: otlpGrpc, path: OTLP_EXPORT_PATH },
    { name: 'Jaeger gRPC', port: jaegerGrpc, path: JAEGER_POST_SPANS_PATH },
  ];

  sink.refuseEarly = exhausted('the span log is over its bound');
  for (const c of httpCases) {
    const res = await post(c.url, GARBAGE, { 'content-type': c.type });
    t.equal(res.status, 429, `${c.name}: refused with 429 before its body was decoded`);
    t.ok(res.headers['retry-after'], `${c.name}: with Retry-After`);
  }
  for (const c of grpcCases) {
    const res = await grpcCall(c.port, c.path, GARBAGE);
    t.equal(res.code, grpc.status.RESOURCE_EXHAUSTED, `${c.name}: RESOURCE_EXHAUSTED before decoding`);
  }
  t.equal(sink.batches, 0, 'nothing reached the sink');

  sink.refuseEarly = undefined;
  for (const c of httpCases) {
    const res = await post(c.url, GARBAGE, { 'content-type': c.type });
    t.equal(res.status, 400, `${c.name}: the same body is decoded, and refused as bad input, once there is room`);
  }
  for (const c of grpcCases) {
    const res = await grpcCall(c.port, c.path, GARBAGE);
    t.equal(res.code, grpc.status.INVALID_ARGUMENT, `${c.name}: INVALID_ARGUMENT once there is room`);
  }
  const counts = receivers.refusals().requests;
  t.equal(counts['zipkin:RESOURCE_EXHAUSTED'], 1, 'early refusals are counted like any other');
  t.equal(counts['otlp-grpc:RESOURCE_EXHAUSTED'], 1);
});
