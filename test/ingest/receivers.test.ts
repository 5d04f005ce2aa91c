// startReceivers as the node calls it: ports, close, a port already taken; the refusal log;
// and no input, however mangled, escapes the decoders as anything but INVALID_ARGUMENT.

import t from 'tap';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { TesseraError } from '../../src/errors.ts';
import { startReceivers } from '../../src/ingest/receivers.ts';
import { RefusalLog } from '../../src/ingest/refusals.ts';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { decodeJaegerPostSpans } from '../../src/ingest/jaeger-proto.ts';
import { JaegerPostSpansRequest, ZipkinListOfSpans } from '../../src/ingest/protos.ts';
import { decodeZipkinProto } from '../../src/ingest/zipkin-proto.ts';
import { decodeOtlpJson } from '../../src/ingest/otlp-json.ts';
import { decodeZipkinJson } from '../../src/ingest/zipkin-json.ts';
import { decodeJaegerUiJson } from '../../src/ingest/jaeger-ui-json.ts';
import { readFileSync } from 'node:fs';
import { otlpJsonRequest, otlpProtoRequest, post, spansOf } from './requests.ts';
import { CollectingSink, capturingLogger, startTestReceivers } from './support.ts';

function connectTo(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('port 0 binds four free ports and close releases them', async (t) => {
  const { receivers } = await startTestReceivers(t);
  const ports = Object.values(receivers.ports);
  t.equal(new Set(ports).size, 4, 'four distinct ports');
  t.ok(ports.every((p) => p > 0));
  const res = await post(`http://127.0.0.1:${receivers.ports.otlpHttp}/v1/traces`, otlpProtoRequest('s', spansOf(1, 1)), { 'content-type': 'application/x-protobuf' });
  t.equal(res.status, 200);
  await receivers.close();
  for (const port of ports) await t.rejects(connectTo(port), { code: 'ECONNREFUSED' }, `port ${port} is released`);
});

t.test('a port already in use fails the start with CONFIG and leaves nothing listening', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => blocker.close(resolve)));
  const taken = (blocker.address() as AddressInfo).port;
  const { logger } = capturingLogger();
  await t.rejects(
    startReceivers({ sink: new CollectingSink(), defaultTenant: 'd', maxBodyBytes: 1024, host: '127.0.0.1', ports: { otlpGrpc: 0, otlpHttp: 0, zipkin: taken, jaegerGrpc: 0 }, logger }),
    { name: 'TesseraError', code: 'CONFIG' },
  );
});

t.test('refusals are counted and logged at most once per interval', async (t) => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog(logger, 100);
  t.teardown(() => log.close());
  log.refuse('otlp-http', 'INVALID_ARGUMENT', 'first', 2);
  for (let i = 0; i < 20; i++) log.refuse('zipkin', 'PAYLOAD_TOO_LARGE', `again ${i}`);
  const logged = () => lines.filter((l) => l.msg === 'receivers refused requests');
  t.equal(logged().length, 1, 'the first refusal is logged at once');
  await waitFor('the summary line after the interval', () => logged().length === 2);
  t.same(logged()[1].refused, { 'zipkin:PAYLOAD_TOO_LARGE': 20 }, 'the rest of the interval in one line');
  t.same(log.counts(), { requests: { 'otlp-http:INVALID_ARGUMENT': 1, 'zipkin:PAYLOAD_TOO_LARGE': 20 }, spans: 2 });
});

t.test('mangled protobuf never escapes as anything but INVALID_ARGUMENT', async (t) => {
  const otlp = Buffer.from(otlpProtoRequest('svc', spansOf(2, 5)));
  const jaeger = Buffer.from(JaegerPostSpansRequest.encode(JaegerPostSpansRequest.fromObject({
    batch: { process: { serviceName: 'x' }, spans: [{ traceId: randomBytes(16), spanId: randomBytes(8), startTime: { seconds: 1, nanos: 0 } }] },
  })).finish());
  const zipkin = Buffer.from(ZipkinListOfSpans.encode(ZipkinListOfSpans.fromObject({
    spans: [{ traceId: randomBytes(16), id: randomBytes(8), timestamp: 5, localEndpoint: { serviceName: 's', ipv4: Buffer.from([1, 2, 3, 4]) }, tags: { a: 'b' } }],
  })).finish());
  const inputs = [[otlp, decodeOtlpProto], [jaeger, decodeJaegerPostSpans], [zipkin, decodeZipkinProto]] as const;
  let decoded = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const [original, decode] = inputs[i % inputs.length];
    const body = Buffer.from(original);
    for (let k = 0; k < 1 + (i % 4); k++) body[Math.floor(Math.random() * body.length)] = Math.floor(Math.random() * 256);
    try {
      decode(i % 7 === 0 ? body.subarray(0, Math.floor(Math.random() * body.length)) : body, 't');
      decoded++;
    } catch (err) {
      if (!(err instanceof TesseraError) || err.code !== 'INVALID_ARGUMENT') {
        t.fail(`mutation ${i} escaped as ${(err as Error).stack}`);
        return;
      }
      refused++;
    }
  }
  t.equal(decoded + refused, 3000, `${decoded} decoded, ${refused} refused, none escaped`);
});

/** Replaces values anywhere in a JSON tree with values of other types. */
function scramble(value: unknown, rate: number): unknown {
  const odd = [null, 0, -1, 1e300, 'x', '', true, [], {}, [null], { a: 1 }];
  if (Math.random() < rate) return odd[Math.floor(Math.random() * odd.length)];
  if (Array.isArray(value)) return value.map((v) => scramble(v, rate));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scramble(v, rate)]));
  return value;
}

t.test('JSON of the wrong types anywhere never escapes as anything but INVALID_ARGUMENT', async (t) => {
  const zipkin = [{ traceId: 'a'.repeat(32), id: 'b'.repeat(16), parentId: 'c'.repeat(16), kind: 'CLIENT', timestamp: 1, duration: 2,
    localEndpoint: { serviceName: 's', ipv4: '1.2.3.4', port: 1 }, remoteEndpoint: { serviceName: 'r' }, annotations: [{ timestamp: 1, value: 'v' }], tags: { k: 'v' } }];
  const hotrod = JSON.parse(readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url), 'utf8'));
  hotrod.data[0].spans = hotrod.data[0].spans.slice(0, 5);
  const inputs: Array<[unknown, (body: string, tenant: string) => unknown]> = [
    [otlpJsonRequest('svc', spansOf(3, 3)), decodeOtlpJson],
    [zipkin, decodeZipkinJson],
    [hotrod, decodeJaegerUiJson],
  ];
  let escaped = 0;
  for (let i = 0; i < 1500; i++) {
    const [doc, decode] = inputs[i % inputs.length];
    try {
      decode(JSON.stringify(scramble(doc, 0.05)), 't');
    } catch (err) {
      if (!(err instanceof TesseraError) || err.code !== 'INVALID_ARGUMENT') {
        escaped++;
        t.fail(`escaped: ${(err as Error).stack}`);
        break;
      }
    }
  }
  t.equal(escaped, 0);
});
