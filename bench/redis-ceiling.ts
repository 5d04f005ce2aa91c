// The Redis ceiling: what one private redis-server takes on this machine through ioredis —
// pipelined XADD of span batches and XREADGROUP + XACK of them — in entries/s and MB/s, with
// 1 KB entries (a couple of spans) and 16 KB entries (a batch of about 35 spans).
//   node --import tsx bench/redis-ceiling.ts [--json] [--seconds 3]

import { Redis } from 'ioredis';
import { encodeOtlpProto } from '../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import type { GenSpan } from '../src/loadgen/model.ts';
import { type Figure, report } from './figures.ts';
import { startRedis } from './redis.ts';

const i = process.argv.indexOf('--seconds');
const seconds = i < 0 ? 3 : Number(process.argv[i + 1]);
const PIPELINE = 100;

/** An OTLP batch of at least `bytes` (whole spans), and how many spans it holds. */
function payload(bytes: number): { body: Buffer; spans: number } {
  const gen = new TraceGenerator({ seed: 'redis' });
  const spans: GenSpan[] = [];
  while (encodeOtlpProto(spans).length < bytes) spans.push(...gen.next(Date.now() * 1000).spans.slice(0, 1));
  return { body: encodeOtlpProto(spans), spans: spans.length };
}

async function xadd(client: Redis, key: string, body: Buffer): Promise<{ entries: number; ms: number }> {
  const t0 = performance.now();
  let entries = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const p = client.pipeline();
    for (let n = 0; n < PIPELINE; n++) p.xadd(key, '*', 'b', body);
    await p.exec();
    entries += PIPELINE;
  }
  return { entries, ms: performance.now() - t0 };
}

async function xreadgroup(client: Redis, key: string, available: number): Promise<{ entries: number; ms: number }> {
  await client.xgroup('CREATE', key, 'bench', '0');
  const t0 = performance.now();
  let entries = 0;
  while (entries < available && performance.now() - t0 < seconds * 1000) {
    const res = (await client.callBuffer('XREADGROUP', 'GROUP', 'bench', 'c1', 'COUNT', PIPELINE, 'STREAMS', key, '>')) as
      Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
    const got = res?.[0]?.[1] ?? [];
    if (got.length === 0) break;
    await client.xack(key, 'bench', ...got.map(([id]) => id));
    entries += got.length;
  }
  return { entries, ms: performance.now() - t0 };
}

const redis = await startRedis();
const client = new Redis(redis.url, { enableAutoPipelining: false });
try {
  const figures: Figure[] = [];
  for (const size of [1024, 16 * 1024]) {
    const { body, spans } = payload(size);
    const key = `bench:{${size}}`;
    const w = await xadd(client, key, body);
    const r = await xreadgroup(client, key, w.entries);
    const label = `${Math.round(body.length / 1024)} KB entries (${spans} span${spans === 1 ? '' : 's'})`;
    const mbps = (entries: number, ms: number): number => (entries * body.length) / 1e6 / (ms / 1000);
    figures.push(
      { id: `redis.xadd${size}`, label: `XADD ${label}`, value: (w.entries * 1000) / w.ms, unit: 'entries/s', better: 'higher' },
      { id: `redis.xaddMB${size}`, label: `XADD ${label}`, value: mbps(w.entries, w.ms), unit: 'MB/s', better: 'higher' },
      { id: `redis.xaddSpans${size}`, label: `XADD ${label} as spans`, value: (w.entries * spans * 1000) / w.ms, unit: 'spans/s', better: 'higher' },
      { id: `redis.xread${size}`, label: `XREADGROUP + XACK ${label}`, value: (r.entries * 1000) / r.ms, unit: 'entries/s', better: 'higher' },
      { id: `redis.xreadMB${size}`, label: `XREADGROUP + XACK ${label}`, value: mbps(r.entries, r.ms), unit: 'MB/s', better: 'higher' },
    );
    await client.del(key);
  }
  report(`Redis ceiling (private redis-server, pipelines of ${PIPELINE}, ${seconds}s per figure)`, figures);
} finally {
  client.disconnect();
  await redis.stop();
}
