// The cluster on this machine: throughput with 1, 2 and 3 nodes (one loadgen per node at full
// speed into that node's receivers, as behind a load balancer; rate = acknowledged spans / time
// until the last traces are queryable, every trace then verified), spans per CPU-second of the
// nodes and of Redis (the figures the scaling model in docs/operations.md, "Sizing", uses:
// printed here as `cluster.model.*`), then — three
// nodes at half their measured rate, with sampled freshness — the time to rebalance after a
// join and after a kill -9. Two cores bound everything here: the nodes, Redis, PostgreSQL and
// the loadgen share them.
//   node --import tsx bench/cluster.ts [--json] [--seconds 12] [--nodes 1,2,3]
import { Redis } from 'ioredis';
import pg from 'pg';
import { LocalCluster } from '../cluster/launch.ts';
import { FreshnessProbe } from '../src/loadgen/freshness.ts';
import { NO_FAULTS } from '../src/loadgen/feed.ts';
import type { TraceRecord } from '../src/loadgen/manifest.ts';
import { encoderFor, transportFor } from '../src/loadgen/protocols.ts';
import { LoadRunner, type RunOptions, type RunResult } from '../src/loadgen/runner.ts';
import { checkTraces, verifyManifest } from '../src/loadgen/verify.ts';
import { assignPartitions } from '../src/sharding/rendezvous.ts';
import { type Figure, report } from './figures.ts';
import { cpuSecondsOf } from './node-process.ts';
import { startRedis } from './redis.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const seconds = Number(arg('seconds', '12'));
const nodeCounts = arg('nodes', '1,2,3').split(',').map(Number);
const PARTITIONS = 32;
const WINDOW_MS = 1000;
const LEASE_TTL_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh database on the machine's PostgreSQL (PGHOST/PGPORT/PGUSER as for the tests). */
async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = `postgres://${process.env.PGUSER ?? 'postgres'}@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}`;
  const name = `tessera_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${base}/${name}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function redisCpuSeconds(url: string): Promise<number> {
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  const info = await r.info('cpu');
  r.disconnect();
  const v = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return v('used_cpu_sys') + v('used_cpu_user');
}

async function withCluster<T>(nodes: number, fn: (c: LocalCluster, redisUrl: string) => Promise<T>): Promise<T> {
  const redis = await startRedis();
  const db = await database();
  const cluster = new LocalCluster({ redis: redis.url, postgres: db.url, nodes, partitions: PARTITIONS, windowMs: WINDOW_MS, leaseTtlMs: LEASE_TTL_MS });
  try {
    await cluster.start();
    await settled(cluster, cluster.nodes.map((n) => n.id));
    return await fn(cluster, redis.url);
  } finally {
    await cluster.stopAll();
    await redis.stop();
    await db.drop();
  }
}

/** Resolves (with when) once node-1 sees `ids`, each holding its rendezvous share. */
async function settled(c: LocalCluster, ids: string[]): Promise<number> {
  const target = new Map<number, string>();
  for (const [id, ps] of assignPartitions(PARTITIONS, ids)) for (const p of ps) target.set(p, id);
  for (const deadline = performance.now() + 60_000; performance.now() < deadline; await sleep(20)) {
    const v = await c.view(0).catch(() => null);
    if (v && v.members.length === ids.length && v.partitions.every((p) => p.node === target.get(p.partition))) return performance.now();
  }
  throw new Error(`the cluster did not settle on ${ids.join(',')}`);
}

/**
 * One loadgen per running node (or per node of `via`), into its own receivers; `rate` is the
 * total. A loadgen aimed at a node that is then killed would retry against a closed port for
 * minutes, so the rebalance run sends only through nodes that stay up.
 */
async function load(c: LocalCluster, rate: number, extra: Partial<RunOptions> = {}, via?: number[]): Promise<RunResult[]> {
  const nodes = c.nodes.filter((n, i) => n.running && (via === undefined || via.includes(i)));
  return Promise.all(nodes.map(async (node, i) => {
    const transport = transportFor('otlp-http-proto', node.otlpHttp, { tenant: null, concurrency: 4, timeoutMs: 30_000, gzip: false });
    try {
      return await new LoadRunner({
        rate: rate / nodes.length, rateUnit: 'spans', durationMs: seconds * 1000, rampMs: 0, batchSpans: 512, concurrency: 4, maxRetries: 100,
        lingerMs: 200, maxBackoffMs: 2000, generator: { seed: `cluster-${rate}-${nodes.length}-${i}` }, faults: NO_FAULTS, keepManifest: true,
        ...(i === 0 ? extra : {}),
      }, transport, encoderFor('otlp-http-proto')).run();
    } finally {
      await transport.close();
    }
  }));
}

const ackedOf = (results: RunResult[]) => results.reduce((n, r) => n + r.counters.spansAcked, 0);
const tracesOf = (results: RunResult[]) => results.reduce((n, r) => n + r.manifest!.acknowledged().length, 0);

async function drained(graphql: string, acked: TraceRecord[]): Promise<number> {
  const tail = acked.slice(-5);
  for (const deadline = performance.now() + 300_000; performance.now() < deadline; await sleep(100)) {
    const r = await checkTraces(tail, { graphqlUrl: graphql, tenant: null, requestTimeoutMs: 30_000, chunk: tail.length }).catch(() => null);
    if (r?.ok) return performance.now();
  }
  throw new Error('the last traces were not queryable within 5 minutes');
}

async function verified(graphql: string, results: RunResult[]): Promise<number> {
  let wrong = 0;
  for (const result of results) {
    const v = await verifyManifest(result.manifest!, { graphqlUrl: graphql, tenant: null, requestTimeoutMs: 30_000, chunk: 200, settleMs: 0, deadlineMs: 180_000, pollMs: 1000 });
    wrong += v.lost.length + v.split.length + v.incomplete.length + v.excess.length;
  }
  return wrong;
}

async function throughput(nodes: number): Promise<{ rate: number; figures: Figure[] }> {
  return withCluster(nodes, async (c, redisUrl) => {
    const pids = c.nodes.map((n) => n.pid);
    const cpu0 = pids.map(cpuSecondsOf);
    const redis0 = await redisCpuSeconds(redisUrl);
    const start = performance.now();
    const results = await load(c, 0);
    let doneAt = 0;
    for (const r of results) doneAt = Math.max(doneAt, await drained(c.nodes[0].graphql, r.manifest!.acknowledged()));
    const nodeCpu = pids.map((pid, i) => cpuSecondsOf(pid) - cpu0[i]).reduce((a, b) => a + b, 0);
    const redisCpu = (await redisCpuSeconds(redisUrl)) - redis0;
    const acked = ackedOf(results);
    const wrong = await verified(c.nodes[0].graphql, results);
    const p = `cluster.n${nodes}`;
    const rate = (acked * 1000) / (doneAt - start);
    return { rate, figures: [
      { id: `${p}.rate`, label: `${nodes} node(s): sent → queryable, verified`, value: rate, unit: 'spans/s', ceiling: 'cluster.n1.rate', better: 'higher' },
      { id: `${p}.perNodeCpu`, label: `${nodes} node(s): spans per node CPU-second`, value: acked / Math.max(nodeCpu, 0.001), unit: 'spans/s', better: 'higher' },
      { id: `${p}.perRedisCpu`, label: `${nodes} node(s): spans per Redis CPU-second`, value: acked / Math.max(redisCpu, 0.001), unit: 'spans/s', better: 'higher' },
      { id: `${p}.wrong`, label: `${nodes} node(s): traces lost, split, incomplete or excess`, value: wrong, unit: `of ${tracesOf(results)}`, better: 'lower' },
    ] };
  });
}

async function rebalance(steadyRate: number): Promise<Figure[]> {
  return withCluster(3, async (c) => {
    const probe = new FreshnessProbe({ graphqlUrl: c.nodes[0].graphql, tenant: null, requestTimeoutMs: 30_000, chunk: 1, everyMs: 200, pollMs: 25, maxActive: 4, giveUpMs: 120_000 });
    let joinMs = 0;
    let killMs = 0;
    const events = (async () => {
      await sleep((seconds * 1000) / 4);
      await c.add();
      const joined = performance.now();
      joinMs = (await settled(c, ['node-1', 'node-2', 'node-3', 'node-4'])) - joined;
      await sleep((seconds * 1000) / 4);
      const killed = performance.now();
      await c.kill(1);
      killMs = (await settled(c, ['node-1', 'node-3', 'node-4'])) - killed;
    })();
    // node-2 (index 1) is killed mid-run: the load goes through node-1 and node-3.
    const results = await load(c, steadyRate, { onTraceAcked: (r, at) => probe.offer(r, at) }, [0, 2]);
    await events;
    const fresh = await probe.close();
    const wrong = await verified(c.nodes[0].graphql, results);
    return [
      { id: 'cluster.join', label: 'rebalance after a join (node ready → settled)', value: joinMs, unit: 'ms', better: 'lower' },
      { id: 'cluster.kill', label: `rebalance after kill -9 (lease TTL ${LEASE_TTL_MS} ms)`, value: killMs, unit: 'ms', better: 'lower' },
      { id: 'cluster.fresh50', label: `freshness p50 during both, ${Math.round(steadyRate)} spans/s`, value: fresh.p50Ms, unit: 'ms', better: 'lower' },
      { id: 'cluster.fresh99', label: 'freshness p99 during both', value: fresh.p99Ms, unit: 'ms', better: 'lower' },
      { id: 'cluster.rebalanceWrong', label: 'traces lost, split, incomplete or excess', value: wrong, unit: `of ${tracesOf(results)}`, better: 'lower' },
    ];
  });
}

/**
 * The scaling model's inputs: what one node core and one Redis core carry, the median over the
 * runs (each run's CPU-seconds are its own processes', so the figure is steadier than wall-clock
 * rates on a shared machine). Throughput ≈ min(node cores × per-node-core, Redis cores ×
 * per-Redis-core, PostgreSQL's write rate).
 */
function model(figures: readonly Figure[]): Figure[] {
  const median = (suffix: string): number => {
    const xs = figures.filter((f) => f.id.endsWith(suffix)).map((f) => f.value).sort((a, b) => a - b);
    return xs.length === 0 ? 0 : xs.length % 2 === 1 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
  };
  const perNode = median('.perNodeCpu');
  const perRedis = median('.perRedisCpu');
  return [
    { id: 'cluster.model.perNodeCore', label: 'model: spans/s one node core carries (median)', value: perNode, unit: 'spans/s', better: 'higher' },
    { id: 'cluster.model.perRedisCore', label: 'model: spans/s one Redis core carries (median)', value: perRedis, unit: 'spans/s', better: 'higher' },
    { id: 'cluster.model.nodesPerRedisCore', label: 'model: node cores one Redis core feeds', value: perRedis / Math.max(perNode, 1), unit: 'nodes', better: 'higher' },
  ];
}

const figures: Figure[] = [];
let lastRate = 0;
for (const n of nodeCounts) {
  const r = await throughput(n);
  figures.push(...r.figures);
  lastRate = r.rate;
}
figures.push(...model(figures));
figures.push(...await rebalance(lastRate / 2));
report(`cluster (${PARTITIONS} partitions, window ${WINDOW_MS} ms, ${seconds} s runs; 2 cores shared by every process)`, figures);
