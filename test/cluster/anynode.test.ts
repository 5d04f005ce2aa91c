// Cluster mode end to end, with roles: three full nodes, an ingest-only node and a query-only
// node on one Redis and one PostgreSQL. Any node accepts spans for any trace, any query node
// answers over all data, a live subscription on one node sees traces processed by another,
// GET /cluster on any node shows members and partition owners, and /metrics on every node has
// the cluster's figures (docs/operations.md).
import t from 'tap';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { otlpJson, postOtlpJson, randomHex } from '../helpers/otlpJson.ts';
import { liveClient } from '../live/client.ts';
import { PARTITIONS, scrape, settledOn, startCluster } from './harness.ts';

const THREE = ['node-1', 'node-2', 'node-3'];
const HOUR_MS = 3_600_000;

/** numSpans of every row stored for the trace, as one node's GraphQL answers. */
async function rowsOf(graphql: string, traceId: string): Promise<number[]> {
  const now = Date.now();
  const query = `{ traces(type: TRACE, between: {startTime: "${new Date(now - HOUR_MS).toISOString()}", endTime: "${new Date(now + HOUR_MS).toISOString()}"}, `
    + `filterBy: [{operator: IN, value: ["${traceId}"], type: ID, idScope: "TRACE"}], limit: 10) { results { id numSpans: attribute(expression: {key: "numSpans"}) } } }`;
  const res = await fetch(graphql, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data?: { traces: { results: { id: string; numSpans: unknown }[] } }; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data!.traces.results.map((r) => Number(r.numSpans));
}

/** The metric families a node exposes (from its # TYPE lines). */
async function families(base: string): Promise<Set<string>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
}

t.test('a cluster with ingest-only and query-only nodes', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  const ingestOnly = await cluster.add(['--roles', 'ingest']);
  const queryOnly = await cluster.add(['--roles', 'query']);
  const [n1, n2, n3] = cluster.nodes;
  // Asked through the ingest-only node: it is no member, yet it shows the cluster.
  await settledOn(cluster, ingestOnly.index, THREE);

  await t.test('any node accepts spans for any trace, and every query node answers over all data', async (t) => {
    const ingestVia = [n1, n2, n3, ingestOnly];
    const traces = ingestVia.map((first, i) => ({ traceId: randomHex(16), root: randomHex(8), first, second: ingestVia[(i + 1) % ingestVia.length] }));
    const now = Date.now();
    for (const tr of traces) {
      // The two halves of one trace go in through two different nodes.
      const a = await postOtlpJson(tr.first.otlpHttp, otlpJson(tr.traceId, [{ service: 'anynode', spanId: tr.root, name: 'GET /', startMs: now, durMs: 20 }]));
      const b = await postOtlpJson(tr.second.otlpHttp, otlpJson(tr.traceId, [{ service: 'anynode-db', spanId: randomHex(8), parentSpanId: tr.root, name: 'SELECT', startMs: now + 1, durMs: 5 }]));
      t.ok(a.ok && b.ok, `${tr.first.id} and ${tr.second.id} accepted the halves of ${tr.traceId.slice(0, 8)}`);
    }
    for (const q of [n1, n2, n3, queryOnly]) {
      for (const tr of traces) {
        const rows = await waitFor(async () => {
          const r = await rowsOf(q.graphql, tr.traceId);
          return r.length > 0 && r.every((n) => n === 2) ? r : undefined;
        }, { timeoutMs: 30_000, what: `${q.id} to answer for trace ${tr.traceId}` });
        t.same(rows, [2], `${q.id} answers with trace ${tr.traceId.slice(0, 8)} whole (ingested by ${tr.first.id} and ${tr.second.id})`);
      }
    }
  });

  await t.test('--roles: the ingest-only node serves no queries, the query-only node no receivers, and neither holds partitions', async (t) => {
    const q = await fetch(ingestOnly.graphql, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    t.equal(q.status, 404, 'the ingest-only node has no /graphql');
    await t.rejects(postOtlpJson(queryOnly.otlpHttp, otlpJson(randomHex(16), [{ service: 'x', spanId: randomHex(8), name: 'x', startMs: Date.now(), durMs: 1 }])),
      'the query-only node has no OTLP receiver listening');
    const view = await cluster.view(queryOnly.index);
    t.same(view.members.map((m) => m.id).sort(), THREE, 'only the processing nodes are members');
    for (const n of [ingestOnly, queryOnly]) t.equal((await scrape(n.base)).get('tessera_owned_partitions'), 0, `${n.id} owns no partition`);
  });

  await t.test('a live subscription on the query-only node sees a trace ingested by the ingest-only node and processed by a third', async (t) => {
    const service = `live-${randomHex(4)}`;
    const c = liveClient(t, queryOnly.graphql.replace('http://', 'ws://'));
    const sub = c.subscribe<{ id: string; n: unknown }>(`subscription { liveTraces(type: TRACE, filterBy: [{type: ATTRIBUTE, keyExpression: {key: "services"}, operator: EQUALS, value: "${service}"}]) {
      id n: attribute(expression: {key: "numSpans"}) } }`);
    // A new trace every few windows until the subscription is registered and an event arrives
    // (one trace resent more often than the window would never close).
    const sent: string[] = [];
    await waitFor(async () => {
      if (sub.events.length > 0) return true;
      const traceId = randomHex(16);
      sent.push(traceId);
      const res = await postOtlpJson(ingestOnly.otlpHttp, otlpJson(traceId, [{ service, spanId: randomHex(8), name: 'GET /live', startMs: Date.now(), durMs: 5 }]));
      if (!res.ok) throw new Error(`the ingest-only node answered ${res.status}`);
      return false;
    }, { timeoutMs: 40_000, everyMs: 3000, what: 'a live event on the query-only node' });
    t.equal(sub.errors, null, 'no subscription error');
    t.ok(sub.events.every((e) => sent.includes(e.id) && Number(e.n) === 1), `the events are traces sent through ${ingestOnly.id}: ${sub.events.map((e) => e.id.slice(0, 8)).join(', ')}`);
  });

  await t.test('GET /cluster on any node shows the members and the owner and fencing token of every partition', async (t) => {
    for (const n of cluster.nodes) {
      const v = await cluster.view(n.index);
      t.equal(v.mode, 'cluster', `${n.id} answers in cluster mode`);
      t.equal(v.self, n.id, `${n.id} names itself`);
      t.same(v.members.map((m) => m.id).sort(), THREE, `${n.id} lists the three processing members`);
      t.ok(v.members.every((m) => typeof m.meta.http === 'string' && m.meta.roles === 'ingest,process,query'), `${n.id} shows each member's address and roles`);
      t.equal(v.partitions.length, PARTITIONS, `${n.id} lists every partition`);
      t.ok(v.partitions.every((p) => THREE.includes(p.node ?? '') && typeof p.token === 'number' && p.token > 0), `${n.id} shows an owner and a token for each`);
    }
  });

  await t.test('/metrics on every node: ownership, lease changes, per-partition lag, open traces, spans in and out, rejections, write latency', async (t) => {
    // A refused request, so the rejection counter has something to count.
    const bad = await fetch(ingestOnly.otlpHttp, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": 42}' });
    t.equal(bad.status, 400, 'the ingest-only node refuses a malformed request');
    const everywhere = ['tessera_owned_partitions', 'tessera_lease_events_total', 'tessera_fenced_refusals_total', 'tessera_partition_stream_length',
      'tessera_partition_pending_entries', 'tessera_open_traces', 'tessera_open_spans', 'tessera_spans_accepted_total', 'tessera_spans_written_total',
      'tessera_receiver_refused_requests_total', 'tessera_view_write_seconds'];
    for (const n of cluster.nodes) {
      const f = await families(n.base);
      const missing = everywhere.filter((name) => !f.has(name));
      t.same(missing, [], `${n.id} exposes every cluster metric family`);
    }
    let owned = 0;
    let written = 0;
    let writes = 0;
    for (const n of [n1, n2, n3]) {
      const m = await scrape(n.base);
      const mine = m.get('tessera_owned_partitions') ?? 0;
      owned += mine;
      written += m.get('tessera_spans_written_total') ?? 0;
      writes += m.get('tessera_view_write_seconds_count') ?? 0;
      t.ok(mine > 0, `${n.id} owns ${mine} partitions`);
      t.ok((m.get('tessera_lease_events_total{event="acquired"}') ?? 0) > 0, `${n.id} counted its lease acquisitions`);
      const lag = [...m.keys()].filter((k) => k.startsWith('tessera_partition_stream_length{partition='));
      t.equal(lag.length, mine, `${n.id} reports the stream length of each partition it owns`);
      t.ok(m.has('tessera_open_traces') && m.has('tessera_open_spans'), `${n.id} reports open traces and spans`);
    }
    t.equal(owned, PARTITIONS, 'the members own every partition between them, once');
    t.ok(written >= 8, `the members wrote ${written} spans (at least the 4 two-span traces)`);
    t.ok(writes > 0, `the members timed ${writes} view-store writes`);
    const ingest = await waitFor(async () => {
      const m = await scrape(ingestOnly.base);
      const refused = [...m].filter(([k]) => k.startsWith('tessera_receiver_refused_requests_total{')).reduce((s, [, v]) => s + v, 0);
      return refused > 0 ? { m, refused } : undefined;
    }, { what: 'the ingest-only node to count the refusal' });
    t.ok((ingest.m.get('tessera_spans_accepted_total') ?? 0) >= 3, `the ingest-only node counted ${ingest.m.get('tessera_spans_accepted_total')} spans accepted`);
    t.ok(ingest.refused > 0, `the ingest-only node counted ${ingest.refused} refused request(s)`);
  });
});
