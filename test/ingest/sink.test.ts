// The span-log sink under back-pressure: once the log refuses an append as over its bound, the
// sink refuses further requests before they are decoded (for a short hold), then lets one
// through to find out whether there is room again. Nothing is acknowledged that is not appended.

import t from 'tap';
import { TesseraError } from '../../src/errors.ts';
import { FULL_HOLD_MS, spanLogSink } from '../../src/ingest/sink.ts';
import { buildOtlpHttpHandler } from '../../src/ingest/otlp-http.ts';
import type { Span } from '../../src/model/span.ts';
import { createMemorySpanLog } from '../../src/store/memory/spanlog.ts';
import { groupByPartition } from '../../src/store/partition.ts';
import { RefusalLog } from '../../src/ingest/refusals.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { capturingLogger, hex } from './support.ts';
import { otlpProtoRequest, post, spansOf } from './requests.ts';

function spans(traceNo: number, n: number): Span[] {
  return Array.from({ length: n }, (_, i) => ({
    tenant: 't', traceId: hex(traceNo, 32), spanId: hex(traceNo * 1000 + i + 1, 16), parentSpanId: '', name: 'op', kind: 'SERVER',
    serviceName: 'svc', startUs: 1_700_000_000_000_000, endUs: 1_700_000_000_001_000, statusCode: 0, statusMessage: '',
    attributes: {}, resource: {}, events: [], links: [],
  }));
}

t.test('a full log makes the sink refuse before decoding, for a hold, then probe again', async (t) => {
  let clock = 1_000;
  const log = createMemorySpanLog({ partitions: 4, maxBacklogSpans: 10, retryAfterSec: 2 });
  t.teardown(() => log.close());
  const sink = spanLogSink(log, groupByPartition, () => clock);
  t.equal(sink.refusal!(), undefined, 'an empty log refuses nothing');
  await sink.accept(spans(1, 8));
  const err = await sink.accept(spans(2, 5)).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof TesseraError && err.code === 'RESOURCE_EXHAUSTED', 'the append over the bound is refused');
  const early = sink.refusal!();
  t.equal(early?.code, 'RESOURCE_EXHAUSTED', 'the next request is refused without an append');
  t.equal(early?.retryAfterSec, 2, 'with the log\'s retry hint');
  clock += FULL_HOLD_MS - 1;
  t.equal(sink.refusal!()?.code, 'RESOURCE_EXHAUSTED', 'still refused within the hold');
  clock += 1;
  t.equal(sink.refusal!(), undefined, 'after the hold one request may try');
  await sink.accept(spans(3, 2));
  t.equal(await log.backlog(), 10, 'a request that fits is appended');
  t.equal(sink.refusal!(), undefined, 'and a successful append clears the refusal');
});

t.test('OTLP/HTTP answers 429 with Retry-After, without appending, while the sink refuses', async (t) => {
  const log = createMemorySpanLog({ partitions: 4, maxBacklogSpans: 5, retryAfterSec: 3 });
  t.teardown(() => log.close());
  // A clock that stands still: the hold cannot run out however slowly the requests go.
  const sink = spanLogSink(log, groupByPartition, () => 5_000);
  const { logger } = capturingLogger();
  const refusals = new RefusalLog(logger);
  t.teardown(() => refusals.close());
  const server = createServer(buildOtlpHttpHandler({ sink, defaultTenant: 'd', maxBodyBytes: 1 << 20, logger, refusals }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const headers = { 'content-type': 'application/x-protobuf' };

  t.equal((await post(url, otlpProtoRequest('svc', spansOf(1, 4)), headers)).status, 200);
  t.equal((await post(url, otlpProtoRequest('svc', spansOf(2, 4)), headers)).status, 429, 'over the bound');
  const held = await post(url, otlpProtoRequest('svc', spansOf(3, 1)), headers);
  t.equal(held.status, 429, 'refused during the hold although it would fit');
  t.equal(held.headers['retry-after'], '3');
  t.equal(await log.backlog(), 4, 'nothing refused was appended');
  t.equal(refusals.counts().requests['otlp-http:RESOURCE_EXHAUSTED'], 2, 'every refusal is counted');
});
