// The all-or-nothing JSON receivers: Zipkin v2 on the running receivers, and the Jaeger UI
// import handler mounted on a plain node http server, as the node mounts it on its main port.

import t from 'tap';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { exhausted } from '../../src/errors.ts';
import { buildJaegerImportHandler } from '../../src/ingest/receivers.ts';
import { ZipkinListOfSpans } from '../../src/ingest/protos.ts';
import { post } from './requests.ts';
import { CollectingSink, capturingLogger, hex, startTestReceivers } from './support.ts';

const JSON_TYPE = { 'content-type': 'application/json' };
const HOTROD = readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url));

function zipkinSpan(n: number, extra: Record<string, unknown> = {}) {
  return {
    traceId: hex(n, 16),
    id: hex(n * 10 + 1, 16),
    name: 'get /orders',
    kind: 'CLIENT',
    timestamp: 1_700_000_000_000_000,
    duration: 1500,
    localEndpoint: { serviceName: 'shop', ipv4: '10.0.0.1', port: 8080 },
    remoteEndpoint: { serviceName: 'orders', ipv4: '10.0.0.2', port: 9000 },
    annotations: [{ timestamp: 1_700_000_000_000_700, value: 'wr' }, { timestamp: 1_700_000_000_000_100, value: 'ws' }],
    tags: { 'HTTP.Path': '/orders', error: 'connection reset' },
    ...extra,
  };
}

t.test('Zipkin v2 receiver', async (t) => {
  const { receivers, sink } = await startTestReceivers(t, { maxBodyBytes: 32 * 1024 });
  const url = `http://127.0.0.1:${receivers.ports.zipkin}/api/v2/spans`;

  t.test('accepts a span list with 202 and maps endpoints, annotations and tags', async (t) => {
    const child = zipkinSpan(1, { id: hex(99, 16), parentId: hex(11, 16), kind: undefined, remoteEndpoint: undefined, tags: {} });
    const res = await post(url, JSON.stringify([zipkinSpan(1), child]), { ...JSON_TYPE, 'x-tenant-id': 'shop-team' });
    t.equal(res.status, 202);
    const span = sink.byId(hex(11, 16))!;
    t.equal(span.traceId, hex(1, 32), 'a 64-bit trace id is zero-extended');
    t.equal(span.serviceName, 'shop');
    t.equal(span.kind, 'CLIENT');
    t.equal(span.endUs - span.startUs, 1500);
    t.equal(span.attributes['http.path'], '/orders');
    t.equal(span.attributes['peer.service'], 'orders');
    t.equal(span.attributes['net.peer.ip'], '10.0.0.2');
    t.equal(span.attributes['net.peer.port'], '9000');
    t.equal(span.statusCode, 2, 'the error tag marks an error');
    t.equal(span.statusMessage, 'connection reset');
    t.same(span.events.map((e) => e.name), ['ws', 'wr'], 'annotations become events in time order');
    t.equal(span.tenant, 'shop-team');
    const local = sink.byId(hex(99, 16))!;
    t.equal(local.parentSpanId, hex(11, 16));
    t.equal(local.kind, 'INTERNAL', 'no kind: a local span');
  });

  t.test('accepts proto3 ListOfSpans the same way', async (t) => {
    const body = ZipkinListOfSpans.encode(ZipkinListOfSpans.fromObject({
      spans: [{
        traceId: Buffer.from(hex(7, 32), 'hex'), id: Buffer.from(hex(71, 16), 'hex'), parentId: Buffer.from(hex(70, 16), 'hex'),
        kind: 2, name: 'post /pay', timestamp: 1_700_000_000_000_000, duration: 42,
        localEndpoint: { serviceName: 'payments', ipv4: Buffer.from([10, 0, 0, 9]), port: 443 },
        remoteEndpoint: { serviceName: 'shop', ipv6: Buffer.from('20010db8000000000000000000000001', 'hex') },
        annotations: [{ timestamp: 1_700_000_000_000_010, value: 'sr' }],
        tags: { 'Http.Method': 'POST' },
      }],
    })).finish();
    const res = await post(url, body, { 'content-type': 'application/x-protobuf' });
    t.equal(res.status, 202);
    const span = sink.byId(hex(71, 16))!;
    t.same([span.traceId, span.parentSpanId, span.kind, span.serviceName], [hex(7, 32), hex(70, 16), 'SERVER', 'payments']);
    t.same([span.startUs, span.endUs], [1_700_000_000_000_000, 1_700_000_000_000_042]);
    t.same(span.resource, { 'service.name': 'payments', 'net.host.ip': '10.0.0.9', 'net.host.port': '443' });
    t.equal(span.attributes['net.peer.ip'], '2001:0db8:0000:0000:0000:0000:0000:0001');
    t.equal(span.attributes['peer.service'], 'shop');
    t.equal(span.attributes['http.method'], 'POST');
    t.same(span.events.map((e) => [e.timeUs, e.name]), [[1_700_000_000_000_010, 'sr']]);
    const bad = await post(url, Buffer.from([0x0a, 0x20, 0x01]), { 'content-type': 'application/x-protobuf' });
    t.equal(bad.status, 400);
  });

  t.test('refuses the whole request when one span is invalid, naming it', async (t) => {
    const before = sink.spans.length;
    const res = await post(url, JSON.stringify([zipkinSpan(2), zipkinSpan(3, { id: 'xyz' }), zipkinSpan(4, { duration: -1 })]), JSON_TYPE);
    t.equal(res.status, 400);
    const answer = JSON.parse(res.body.toString());
    t.equal(answer.code, 'INVALID_ARGUMENT');
    t.match(answer.message, 'spans[1]');
    t.match(answer.message, '"xyz"', 'the message names the span id');
    t.match(answer.message, 'spans[2]');
    t.equal(sink.spans.length, before, 'nothing was appended');
  });

  t.test('refuses what is not a Zipkin v2 span list', async (t) => {
    t.equal((await post(url, '{"traceId": "1"}', JSON_TYPE)).status, 400, 'an object, not an array');
    t.equal((await post(url, '[{', JSON_TYPE)).status, 400, 'not JSON');
    t.equal((await post(url, '[]', { 'content-type': 'application/x-thrift' })).status, 415);
    t.equal((await post(url, Buffer.alloc(40 * 1024, 0x20), JSON_TYPE)).status, 413);
  });

  t.test('accepts gzip and answers 429 with Retry-After under back-pressure', async (t) => {
    const ok = await post(url, gzipSync(JSON.stringify([zipkinSpan(5)])), { ...JSON_TYPE, 'content-encoding': 'gzip' });
    t.equal(ok.status, 202);
    t.ok(sink.byId(hex(51, 16)));
    sink.refuseWith = exhausted('full', 5);
    t.teardown(() => {
      sink.refuseWith = undefined;
    });
    const full = await post(url, JSON.stringify([zipkinSpan(6)]), JSON_TYPE);
    t.equal(full.status, 429);
    t.equal(full.headers['retry-after'], '5');
    t.equal(JSON.parse(full.body.toString()).code, 'RESOURCE_EXHAUSTED');
  });
});

t.test('Jaeger UI import handler', async (t) => {
  const sink = new CollectingSink();
  const { logger, lines } = capturingLogger();
  const handler = buildJaegerImportHandler({ sink, defaultTenant: 'imported', maxBodyBytes: 1024 * 1024, logger });
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/import/jaeger`;

  t.test('imports the HotROD export whole', async (t) => {
    const res = await post(url, HOTROD, JSON_TYPE);
    t.equal(res.status, 200);
    t.same(JSON.parse(res.body.toString()), { spans: 50, traces: 1 });
    t.equal(sink.spans.length, 50);
    t.ok(sink.spans.every((s) => s.traceId === '0000000000000000383acc79e53b84da' && s.tenant === 'imported'));
  });

  t.test('refuses a broken export with 400 and appends nothing', async (t) => {
    const doc = JSON.parse(HOTROD.toString());
    doc.data[0].spans[7].traceID = 'not-hex';
    const before = sink.spans.length;
    const res = await post(url, JSON.stringify(doc), JSON_TYPE);
    t.equal(res.status, 400);
    t.match(JSON.parse(res.body.toString()).message, `data[0].spans[7] (span id "${doc.data[0].spans[7].spanID}")`);
    t.equal(sink.spans.length, before);
  });

  t.test('answers 405 to other methods and logs the refusals', async (t) => {
    const res = await fetch(url);
    t.equal(res.status, 405);
    const refusalLines = lines.filter((l) => l.msg === 'receivers refused requests');
    t.equal(refusalLines.length, 1, 'one log line for the refusals of this interval');
  });
});
