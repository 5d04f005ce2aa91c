import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { countingSink, metricsHandler } from '../../src/metrics/http.ts';
import { NodeMetrics } from '../../src/metrics/nodeMetrics.ts';

/** name{labels} → value, without the node label. */
async function values(m: NodeMetrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await m.text()).split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut).replace(/,?node="[^"]*"/, '').replace('{}', ''), Number(line.slice(cut + 1)));
  }
  return out;
}

t.test('ownership, fencing, read and write hooks become counters', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n1', processMetrics: false });
  m.lease('acquired', 5);
  m.lease('lost', 2);
  m.fenced('write');
  m.fenced('write');
  m.fenced('ack');
  m.read(3, 120, 1500);
  m.flush({ traces: 10, spans: 100, ms: 20, ok: true });
  m.flush({ traces: 4, spans: 40, ms: 5000, ok: false });
  m.spansAccepted(77);
  const v = await values(m);
  t.equal(v.get('tessera_lease_events_total{event="acquired"}'), 5);
  t.equal(v.get('tessera_lease_events_total{event="lost"}'), 2);
  t.equal(v.get('tessera_fenced_refusals_total{path="write"}'), 2);
  t.equal(v.get('tessera_fenced_refusals_total{path="ack"}'), 1);
  t.equal(v.get('tessera_spanlog_entries_read_total'), 3);
  t.equal(v.get('tessera_spans_read_total'), 120);
  t.equal(v.get('tessera_read_lag_seconds'), 1.5);
  t.equal(v.get('tessera_traces_written_total'), 10);
  t.equal(v.get('tessera_spans_written_total'), 100);
  t.equal(v.get('tessera_view_write_failures_total'), 1);
  t.equal(v.get('tessera_view_write_seconds_count'), 2);
  t.equal(v.get('tessera_spans_accepted_total'), 77);
});

t.test('gauges are read from their sources at scrape time, every label the node\'s', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n1', processMetrics: false });
  let backlog = 40;
  m.setSources({
    ownedPartitions: () => [1, 4],
    partitionStats: async () => [
      { partition: 1, openTraces: 2, openSpans: 9, unackedEntries: 3, writesInFlight: 0 },
      { partition: 4, openTraces: 1, openSpans: 5, unackedEntries: 1, writesInFlight: 1 },
    ],
    inFlightSpans: () => 14,
    backlogSpans: async () => backlog,
    partitionLag: async (ps) => ps.map((p) => ({ partition: p, length: p * 10, pending: p, undelivered: p === 1 ? null : 2 })),
  });
  let v = await values(m);
  t.equal(v.get('tessera_owned_partitions'), 2);
  t.equal(v.get('tessera_partition_actors'), 2);
  t.equal(v.get('tessera_open_traces'), 3);
  t.equal(v.get('tessera_open_spans'), 14);
  t.equal(v.get('tessera_unacked_entries'), 4);
  t.equal(v.get('tessera_inflight_spans'), 14);
  t.equal(v.get('tessera_spanlog_backlog_spans'), 40);
  t.equal(v.get('tessera_partition_stream_length{partition="4"}'), 40);
  t.equal(v.get('tessera_partition_pending_entries{partition="1"}'), 1);
  t.equal(v.get('tessera_partition_undelivered_entries{partition="4"}'), 2);
  t.notOk(v.has('tessera_partition_undelivered_entries{partition="1"}'), 'unknown lag is left out, not reported as 0');
  t.match(await m.text(), /tessera_owned_partitions\{node="n1"\} 2/);

  backlog = 7;
  m.setSources({ backlogSpans: async () => { throw new Error('Redis is away'); } });
  v = await values(m);
  t.equal(v.get('tessera_spanlog_backlog_spans'), 40, 'a failing source keeps the last value');
});

t.test('receiver refusals are counted by receiver and code, each refusal once', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n1', processMetrics: false });
  let counts = { requests: { 'otlp-http:UNAVAILABLE': 2, 'zipkin:INVALID_ARGUMENT': 1 }, spans: 30 };
  m.setSources({ refusals: () => counts });
  await m.text();
  counts = { requests: { 'otlp-http:UNAVAILABLE': 5, 'zipkin:INVALID_ARGUMENT': 1 }, spans: 45 };
  const v = await values(m);
  t.equal(v.get('tessera_receiver_refused_requests_total{receiver="otlp-http",code="UNAVAILABLE"}'), 5);
  t.equal(v.get('tessera_receiver_refused_requests_total{receiver="zipkin",code="INVALID_ARGUMENT"}'), 1);
  t.equal(v.get('tessera_receiver_refused_spans_total'), 45);
});

t.test('GET /metrics answers the Prometheus text format; other methods are refused', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n1' });
  const server = http.createServer(metricsHandler(m));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const res = await fetch(url);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const body = await res.text();
  t.match(body, /# TYPE tessera_lease_events_total counter/);
  t.match(body, /tessera_process_resident_memory_bytes\{node="n1"\}/, 'process metrics included');
  t.equal((await fetch(url, { method: 'POST' })).status, 405);
});

t.test('the counting sink counts only what it accepted', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n1', processMetrics: false });
  let fail = false;
  const sink = countingSink({ accept: async () => { if (fail) throw new Error('full'); } }, m);
  await sink.accept([{} as never, {} as never]);
  fail = true;
  await t.rejects(sink.accept([{} as never]));
  t.equal((await values(m)).get('tessera_spans_accepted_total'), 2);
});
