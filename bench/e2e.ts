// End to end: a real node (embedded, and with a Redis span log when redis-server exists) under
// the load generator at full speed — it answers 429 when it cannot keep up and the generator
// backs off — then every acknowledged trace verified through GraphQL. Reports the sustained
// rate, the rate per CPU-second of the node (against the decode ceiling), freshness from sent
// to queryable, peak RSS, and RSS per in-flight span (in flight = rate × freshness, Little's law).
//   node --import tsx bench/e2e.ts [--json] [--seconds 15] [--modes embedded,redis] [--window-ms 1000]

import { FreshnessProbe } from '../src/loadgen/freshness.ts';
import { NO_FAULTS } from '../src/loadgen/feed.ts';
import { encoderFor, transportFor } from '../src/loadgen/protocols.ts';
import { LoadRunner } from '../src/loadgen/runner.ts';
import { verifyManifest } from '../src/loadgen/verify.ts';
import { type Figure, report } from './figures.ts';
import { cpuSecondsOf, memoryOf, startNode } from './node-process.ts';
import { type RedisProcess, startRedis } from './redis.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const seconds = Number(arg('seconds', '15'));
const windowMs = Number(arg('window-ms', '1000'));
const modes = arg('modes', 'embedded,redis').split(',');

async function measure(mode: string): Promise<Figure[]> {
  let redis: RedisProcess | null = null;
  if (mode === 'redis') redis = await startRedis();
  const node = await startNode(['--window-ms', String(windowMs), ...(redis === null ? [] : ['--redis', redis.url])]);
  try {
    const idle = memoryOf(node.pid).rss;
    const probe = new FreshnessProbe({
      graphqlUrl: node.graphql, tenant: null, chunk: 1, requestTimeoutMs: 10_000, everyMs: 200, pollMs: 25, maxActive: 4, giveUpMs: 120_000,
    });
    const transport = transportFor('otlp-http-proto', node.otlpHttp, { tenant: null, concurrency: 4, timeoutMs: 30_000, gzip: false });
    const runner = new LoadRunner({
      rate: 0, rateUnit: 'spans', durationMs: seconds * 1000, rampMs: 0, batchSpans: 512, concurrency: 4, maxRetries: 100,
      lingerMs: 200, maxBackoffMs: 2_000, generator: { seed: `e2e-${mode}` }, faults: NO_FAULTS, keepManifest: true,
      onTraceAcked: (r, at) => probe.offer(r, at),
    }, transport, encoderFor('otlp-http-proto'));
    const cpu0 = cpuSecondsOf(node.pid);
    const result = await runner.run();
    const cpu = cpuSecondsOf(node.pid) - cpu0;
    await transport.close();
    const fresh = await probe.close();
    const verify = await verifyManifest(result.manifest!, {
      graphqlUrl: node.graphql, tenant: null, chunk: 200, requestTimeoutMs: 30_000, settleMs: windowMs, deadlineMs: 120_000, pollMs: 1_000,
    });
    const mem = memoryOf(node.pid);
    const c = result.counters;
    const rate = (c.spansAcked * 1000) / result.elapsedMs;
    const inFlight = rate * (fresh.p50Ms / 1000);
    const p = `e2e.${mode}`;
    return [
      { id: `${p}.rate`, label: `${mode}: sustained, all acknowledged`, value: rate, unit: 'spans/s', better: 'higher' },
      { id: `${p}.perCore`, label: `${mode}: per CPU-second of the node`, value: c.spansAcked / Math.max(cpu, 0.001), unit: 'spans/s', ceiling: 'decode.raw', better: 'higher' },
      { id: `${p}.lost`, label: `${mode}: traces lost, split or incomplete`, value: verify.lost.length + verify.split.length + verify.incomplete.length + verify.excess.length, unit: `of ${verify.checked}`, better: 'lower' },
      { id: `${p}.retryable`, label: `${mode}: retryable answers (back-pressure)`, value: [...c.retryable.values()].reduce((a, b) => a + b, 0), unit: 'answers' },
      { id: `${p}.fresh50`, label: `${mode}: freshness p50 (window ${windowMs} ms)`, value: fresh.p50Ms, unit: 'ms', better: 'lower' },
      { id: `${p}.fresh99`, label: `${mode}: freshness p99`, value: fresh.p99Ms, unit: 'ms', better: 'lower' },
      { id: `${p}.peakRss`, label: `${mode}: peak RSS of the node`, value: mem.peak / 1e6, unit: 'MB', better: 'lower' },
      { id: `${p}.rssPerSpan`, label: `${mode}: RSS per in-flight span`, value: Math.max(0, mem.peak - idle) / Math.max(1, inFlight), unit: 'B', better: 'lower' },
    ];
  } finally {
    await node.stop();
    await redis?.stop();
  }
}

const figures: Figure[] = [];
for (const mode of modes) {
  try {
    figures.push(...(await measure(mode)));
  } catch (err) {
    console.error(`e2e ${mode}: ${(err as Error).message}`);
  }
}
report(`End to end (OTLP/HTTP protobuf at full speed for ${seconds}s, 512 spans per request, 4 in flight)`, figures);
