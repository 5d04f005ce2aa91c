// End to end against a real node (embedded, and with a Redis span log when redis-server
// exists), in two phases, each on a fresh node:
//  1. throughput: the generator at full speed (the node answers 429 when it cannot keep up and
//     the generator backs off); the rate is acknowledged spans divided by the time until the
//     last acknowledged traces are queryable, and every acknowledged trace is then verified.
//     Also per CPU-second of the node (against the decode ceiling) and peak RSS under overload.
//  2. freshness: half that rate, with sampled traces timed from sent to queryable.
//     paced: half that rate again on a fresh node, without the freshness probe's queries: the
//     node's CPU per span at a load it keeps up with (no 429s, nothing queued), beside the
//     full-speed figure of phase 1, where the node holds a backlog and garbage-collects it.
//     tiers (Redis mode only): the same paced rate against two nodes on one private Redis, one
//     with --roles ingest (receive, decode, append to the span log) and one with --roles
//     process,query (assemble, enrich, write the views): each tier's spans per CPU-second.
//  3. memory per in-flight span. In flight = accepted (acknowledged to the client) and not yet
//     written to the view store: the span log's un-acknowledged spans (/metrics). A window far
//     longer than the run keeps every accepted span in flight; the figure is the slope of the
//     node's RSS against that count (least squares over samples), i.e. what one more span in
//     flight costs; sampling starts after a warm-up load, so the heap's one-off growth to its
//     working size is not charged to the spans. An earlier figure divided the whole RSS growth (DuckDB buffers, JIT, heap
//     headroom) by a Little's-law estimate of ~1 000 spans in flight, which said ~125 KB.
//   node --import tsx bench/e2e.ts [--json] [--seconds 15] [--modes embedded,redis] [--window-ms 1000]
//     [--phases throughput,freshness,paced,tiers,memory] (freshness, paced and tiers run at half the throughput phase's rate)

import { FreshnessProbe } from '../src/loadgen/freshness.ts';
import { NO_FAULTS } from '../src/loadgen/feed.ts';
import type { TraceRecord } from '../src/loadgen/manifest.ts';
import { encoderFor, transportFor } from '../src/loadgen/protocols.ts';
import { LoadRunner, type RunOptions, type RunResult } from '../src/loadgen/runner.ts';
import { checkTraces, type VerifyReport, verifyManifest } from '../src/loadgen/verify.ts';
import { type Figure, report } from './figures.ts';
import { cpuMeter, memoryOf, type NodeProcess, startNode } from './node-process.ts';
import { type RedisProcess, startRedis } from './redis.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const seconds = Number(arg('seconds', '15'));
const windowMs = Number(arg('window-ms', '1000'));
const modes = arg('modes', 'embedded,redis').split(',');
const phases = new Set(arg('phases', 'throughput,freshness,paced,tiers,memory').split(','));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Wrong traces are re-checked this long: a node on a loaded machine may still be writing them. */
const VERIFY_DEADLINE_MS = 180_000;
/** Memory phase: a window no trace reaches during the run, and spans sent (under the 200 k log bound). */
const HOLD_WINDOW_MS = 600_000;
const HOLD_SPANS = 120_000;
/** Memory phase: load before sampling starts, at the same rate (its spans, ~30 000, stay held: under the bound with HOLD_SPANS). */
const WARMUP_MS = 4_000;

function describeProblems(mode: string, v: VerifyReport): void {
  const kinds = { lost: v.lost, split: v.split, incomplete: v.incomplete, excess: v.excess };
  for (const [kind, list] of Object.entries(kinds)) {
    if (list.length === 0) continue;
    const sample = list.slice(0, 3).map((p) => `${p.traceId} (sent ${p.expected}, found ${p.found.join('+') || 'nothing'})`).join(', ');
    console.log(`  ${mode}: ${list.length} ${kind} trace(s), e.g. ${sample}`);
  }
}

async function withNode<T>(mode: string, fn: (node: NodeProcess) => Promise<T>, window = windowMs): Promise<T> {
  let redis: RedisProcess | null = null;
  if (mode === 'redis') redis = await startRedis();
  const node = await startNode(['--window-ms', String(window), ...(redis === null ? [] : ['--redis', redis.url])]);
  try {
    return await fn(node);
  } finally {
    await node.stop();
    await redis?.stop();
  }
}

async function load(node: NodeProcess, mode: string, rate: number, extra: Partial<RunOptions> = {}): Promise<RunResult> {
  const transport = transportFor('otlp-http-proto', node.otlpHttp, { tenant: null, concurrency: 4, timeoutMs: 30_000, gzip: false });
  try {
    return await new LoadRunner({
      rate, rateUnit: 'spans', durationMs: seconds * 1000, rampMs: 0, batchSpans: 512, concurrency: 4, maxRetries: 100,
      lingerMs: 200, maxBackoffMs: 2_000, generator: { seed: `e2e-${mode}-${rate}` }, faults: NO_FAULTS, keepManifest: true, ...extra,
    }, transport, encoderFor('otlp-http-proto')).run();
  } finally {
    await transport.close();
  }
}

const verifyOpts = (node: NodeProcess) => ({ graphqlUrl: node.graphql, tenant: null, requestTimeoutMs: 30_000 });

/** Waits until the last acknowledged traces are queryable whole; returns when (performance.now()). */
async function drained(node: NodeProcess, acked: TraceRecord[]): Promise<number> {
  const tail = acked.slice(-5);
  const deadline = performance.now() + 300_000;
  while (performance.now() < deadline) {
    const r = await checkTraces(tail, { ...verifyOpts(node), chunk: tail.length }).catch(() => null);
    if (r?.ok) return performance.now();
    await sleep(100);
  }
  throw new Error('the last traces were not queryable within 5 minutes');
}

async function throughput(mode: string): Promise<{ figures: Figure[]; rate: number }> {
  return withNode(mode, async (node) => {
    const start = performance.now();
    const meter = cpuMeter(node.pid);
    const result = await load(node, mode, 0);
    const acked = result.manifest!.acknowledged();
    const doneAt = await drained(node, acked);
    const { all: cpu, main: mainCpu } = meter();
    const verify = await verifyManifest(result.manifest!, { ...verifyOpts(node), chunk: 200, settleMs: 0, deadlineMs: VERIFY_DEADLINE_MS, pollMs: 1_000 });
    describeProblems(mode, verify);
    const c = result.counters;
    const rate = (c.spansAcked * 1000) / (doneAt - start);
    const p = `e2e.${mode}`;
    return {
      rate,
      figures: [
        { id: `${p}.rate`, label: `${mode}: sent → queryable, every trace verified`, value: rate, unit: 'spans/s', better: 'higher' },
        { id: `${p}.perCore`, label: `${mode}: per CPU-second of the node`, value: c.spansAcked / Math.max(cpu, 0.001), unit: 'spans/s', ceiling: 'decode.raw', better: 'higher' },
        { id: `${p}.cpuPerSpan`, label: `${mode}: node CPU per span, all threads`, value: (cpu * 1e6) / Math.max(c.spansAcked, 1), unit: 'µs', better: 'lower' },
        { id: `${p}.mainPerSpan`, label: `${mode}:   of which the main thread`, value: (mainCpu * 1e6) / Math.max(c.spansAcked, 1), unit: 'µs', better: 'lower' },
        { id: `${p}.lost`, label: `${mode}: traces lost, split, incomplete or excess`, value: verify.lost.length + verify.split.length + verify.incomplete.length + verify.excess.length, unit: `of ${verify.checked}`, better: 'lower' },
        { id: `${p}.retryable`, label: `${mode}: retryable answers (back-pressure)`, value: [...c.retryable.values()].reduce((a, b) => a + b, 0), unit: 'answers' },
        { id: `${p}.ingest`, label: `${mode}: acknowledged at full speed`, value: (c.spansAcked * 1000) / result.elapsedMs, unit: 'spans/s', better: 'higher' },
        { id: `${p}.peakRss`, label: `${mode}: peak RSS of the node at full speed`, value: memoryOf(node.pid).peak / 1e6, unit: 'MB', better: 'lower' },
      ],
    };
  });
}

async function freshness(mode: string, rate: number): Promise<Figure[]> {
  return withNode(mode, async (node) => {
    const probe = new FreshnessProbe({ ...verifyOpts(node), chunk: 1, everyMs: 200, pollMs: 25, maxActive: 4, giveUpMs: 120_000 });
    const result = await load(node, mode, rate, { onTraceAcked: (r, at) => probe.offer(r, at) });
    const fresh = await probe.close();
    const verify = await verifyManifest(result.manifest!, { ...verifyOpts(node), chunk: 200, settleMs: windowMs, deadlineMs: VERIFY_DEADLINE_MS, pollMs: 500 });
    describeProblems(mode, verify);
    const p = `e2e.${mode}`;
    return [
      { id: `${p}.freshRate`, label: `${mode}: freshness measured at`, value: rate, unit: 'spans/s' },
      { id: `${p}.fresh50`, label: `${mode}: freshness p50 (window ${windowMs} ms)`, value: fresh.p50Ms, unit: 'ms', better: 'lower' },
      { id: `${p}.fresh99`, label: `${mode}: freshness p99`, value: fresh.p99Ms, unit: 'ms', better: 'lower' },
      { id: `${p}.freshLost`, label: `${mode}: traces lost at that rate`, value: verify.lost.length + verify.split.length + verify.incomplete.length + verify.excess.length, unit: `of ${verify.checked}`, better: 'lower' },
    ];
  });
}

/** The node's CPU per span at half its full speed, on a fresh node, with nothing but the load and the drain check. */
async function paced(mode: string, rate: number): Promise<Figure[]> {
  return withNode(mode, async (node) => {
    const meter = cpuMeter(node.pid);
    const result = await load(node, mode, rate);
    await drained(node, result.manifest!.acknowledged());
    const { all: cpu, main: mainCpu } = meter();
    const c = result.counters;
    const p = `e2e.${mode}`;
    return [
      { id: `${p}.pacedRate`, label: `${mode}: paced at (half of full speed)`, value: (c.spansAcked * 1000) / result.elapsedMs, unit: 'spans/s' },
      { id: `${p}.perCorePaced`, label: `${mode}: per CPU-second of the node, paced`, value: c.spansAcked / Math.max(cpu, 0.001), unit: 'spans/s', ceiling: 'decode.raw', better: 'higher' },
      { id: `${p}.cpuPerSpanPaced`, label: `${mode}: node CPU per span, paced`, value: (cpu * 1e6) / Math.max(c.spansAcked, 1), unit: 'µs', better: 'lower' },
      { id: `${p}.mainPerSpanPaced`, label: `${mode}:   of which the main thread`, value: (mainCpu * 1e6) / Math.max(c.spansAcked, 1), unit: 'µs', better: 'lower' },
    ];
  });
}

/**
 * Redis mode split by role, paced: an ingest node and a process + query node on one private
 * Redis. The ingest node's CPU is read when the last request is acknowledged (its work is done);
 * the process node's once the last traces are queryable.
 */
async function tiers(rate: number): Promise<Figure[]> {
  const redis = await startRedis();
  const nodes: NodeProcess[] = [];
  try {
    const common = ['--redis', redis.url, '--window-ms', String(windowMs)];
    const ingest = await startNode(['--roles', 'ingest', ...common]);
    nodes.push(ingest);
    const processor = await startNode(['--roles', 'process,query', ...common]);
    nodes.push(processor);
    const ingestMeter = cpuMeter(ingest.pid);
    const processMeter = cpuMeter(processor.pid);
    const result = await load(ingest, 'redis-tiers', rate);
    const ingestCpu = ingestMeter().all;
    await drained(processor, result.manifest!.acknowledged());
    const processCpu = processMeter().all;
    const spans = result.counters.spansAcked;
    return [
      { id: 'e2e.redis.tiersRate', label: 'redis, split by role: paced at', value: (spans * 1000) / result.elapsedMs, unit: 'spans/s' },
      { id: 'e2e.redis.ingestPerCore', label: 'redis, split by role: ingest node per CPU-second', value: spans / Math.max(ingestCpu, 0.001), unit: 'spans/s', ceiling: 'decode.raw', better: 'higher' },
      { id: 'e2e.redis.processPerCore', label: 'redis, split by role: process node per CPU-second', value: spans / Math.max(processCpu, 0.001), unit: 'spans/s', better: 'higher' },
    ];
  } finally {
    for (const node of nodes) await node.stop();
    await redis.stop();
  }
}

/** Spans accepted and not yet written: the span log's un-acknowledged spans, from /metrics. */
async function inFlightOf(node: NodeProcess): Promise<number> {
  const text = await (await fetch(node.graphql.replace(/\/graphql$/, '/metrics'))).text();
  const m = /^tessera_spanlog_backlog_spans(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (m === null) throw new Error('the node reports no tessera_spanlog_backlog_spans');
  return Number(m[1]);
}

/** Least-squares slope of y against x. */
function slopeOf(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

async function memory(mode: string): Promise<Figure[]> {
  return withNode(mode, async (node) => {
    // A warm-up first (its spans stay in flight too): the heap's young generation grows to its
    // size in the first seconds of load (up to ~190 MB with the node's 64 MB semi-spaces), a
    // one-off cost the slope would otherwise charge to the spans sent meanwhile.
    await load(node, mode, Math.ceil(HOLD_SPANS / seconds), { durationMs: WARMUP_MS, generator: { seed: `e2e-${mode}-warmup` } });
    const points: { x: number; y: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const spans = await inFlightOf(node);
        points.push({ x: spans, y: memoryOf(node.pid).rss });
        await sleep(250);
      }
    })();
    let result: RunResult;
    try {
      result = await load(node, mode, Math.ceil(HOLD_SPANS / seconds));
    } finally {
      sampling = false;
      await sampler;
    }
    const held = await inFlightOf(node);
    // Nothing needs writing: the node is killed rather than made to write what it holds.
    node.child.kill('SIGKILL');
    const p = `e2e.${mode}`;
    return [
      { id: `${p}.heldSpans`, label: `${mode}: in flight at the end of the memory phase`, value: held, unit: `spans of ${result.counters.spansAcked} acknowledged` },
      { id: `${p}.rssPerSpan`, label: `${mode}: RSS per in-flight span (slope)`, value: slopeOf(points.filter((q) => q.x > 0)), unit: 'B', better: 'lower' },
    ];
  }, HOLD_WINDOW_MS);
}

const figures: Figure[] = [];
for (const mode of modes) {
  try {
    if (phases.has('throughput') || phases.has('freshness') || phases.has('paced')) {
      const t = await throughput(mode);
      figures.push(...t.figures);
      const half = Math.max(100, Math.round(t.rate / 2));
      if (phases.has('freshness')) figures.push(...(await freshness(mode, half)));
      if (phases.has('paced')) figures.push(...(await paced(mode, half)));
      if (phases.has('tiers') && mode === 'redis') figures.push(...(await tiers(half)));
    }
    if (phases.has('memory')) figures.push(...(await memory(mode)));
  } catch (err) {
    console.error(`e2e ${mode}: ${(err as Error).message}`);
  }
}
report(`End to end (OTLP/HTTP protobuf, ${seconds}s per phase, 512 spans per request, 4 in flight)`, figures);
