import t from 'tap';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { decodeSpanBatch } from '../../src/store/codec.ts';
import { createRedisSpanLog, type RedisSpanLog, type RedisSpanLogOptions } from '../../src/store/redis/spanlog.ts';
import type { SpanLog } from '../../src/store/api.ts';
import { startRedis, type PrivateRedis } from '../helpers/redis.ts';
import { spanLogConformance } from './spanlog.conformance.ts';
import { eventually, sampleSpans } from './spanlog-fixtures.ts';

import type { Test } from 'tap';

const quiet = pino({ level: 'silent' });
let prefixes = 0;

/** A log on `redis` with its own key prefix, closed on teardown. */
async function openLog(t: Test, redis: PrivateRedis | string, opts: Partial<RedisSpanLogOptions> = {}): Promise<RedisSpanLog> {
  const log = await createRedisSpanLog({
    redis: typeof redis === 'string' ? redis : redis.url,
    partitions: 4,
    maxBacklogSpans: 100_000,
    keyPrefix: `t${prefixes++}`,
    logger: quiet,
    ...opts,
  });
  t.teardown(() => log.close());
  return log;
}

/** A plain client to look at what the log wrote. */
function inspect(t: Test, redis: PrivateRedis): Redis {
  const client = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  t.teardown(() => client.disconnect());
  return client;
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; retryAfterSec?: number } | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err as { code?: string; retryAfterSec?: number };
  }
}

const shared = await startRedis(t);

spanLogConformance(t, 'Redis Streams', async (t, opts) => {
  const keyPrefix = `conformance${prefixes++}`;
  const log = await openLog(t, shared, { ...opts, keyPrefix });
  return { log, reopen: async (): Promise<SpanLog> => openLog(t, shared, { ...opts, keyPrefix }) };
});

t.test('each partition is one stream with a hash-tagged key and the consumer group', async (t) => {
  const log = await openLog(t, shared, { keyPrefix: 'tessera-keys', group: 'g1' });
  const redis = inspect(t, shared);
  for (let p = 0; p < 4; p++) {
    t.equal(log.streamKey(p), `tessera-keys:spans:{p${p}}`);
    const groups = (await redis.xinfo('GROUPS', log.streamKey(p))) as unknown[][];
    t.equal(groups.length, 1);
    t.equal(groups[0][1], 'g1', `partition ${p} has the group`);
  }
});

t.test('an append is one XADD per partition, fields n (span count) and b (SpanBatch)', async (t) => {
  const log = await openLog(t, shared);
  const redis = inspect(t, shared);
  const spans = sampleSpans(25, { seed: 4 });
  await log.append(new Map([[2, spans], [3, spans.slice(0, 3)]]));
  const entries = await redis.xrangeBuffer(log.streamKey(2), '-', '+');
  t.equal(entries.length, 1);
  const [, fields] = entries[0];
  t.same(fields.filter((_, i) => i % 2 === 0).map(String), ['n', 'b']);
  t.equal(fields[1].toString(), '25');
  t.same(decodeSpanBatch(fields[3]), spans);
  t.equal(await redis.xlen(log.streamKey(3)), 1);
});

t.test('trimming never removes an un-acked entry', async (t) => {
  const log = await openLog(t, shared, { partitions: 1, trimIntervalMs: 60_000 });
  const redis = inspect(t, shared);
  const key = log.streamKey(0);
  for (let i = 0; i < 10; i++) await log.append(new Map([[0, sampleSpans(1, { seed: 50 + i })]]));
  const read = await log.readNew([0], 'node-a', { count: 6, blockMs: 0 });
  const all = (await redis.xrange(key, '-', '+')).map(([id]) => id);
  const left = async () => (await redis.xrange(key, '-', '+')).map(([id]) => id);

  await log.ack(0, [read[0].id, read[1].id, read[3].id, read[4].id]);
  t.equal(await log.trim(), 2, 'only the acked entries older than the oldest pending one go');
  t.same(await left(), all.slice(2), 'pending entries 2 and 5 and every undelivered entry stay');

  await log.ack(0, [read[2].id]);
  await log.trim();
  t.same(await left(), all.slice(5), 'entry 5 is still pending');

  await log.ack(0, [read[5].id]);
  await log.trim();
  t.same(await left(), all.slice(6), 'nothing pending: trimmed to just past the last delivered entry');

  await redis.xgroup('CREATE', key, 'audit', '0');
  const rest = await log.readNew([0], 'node-a', { count: 10, blockMs: 0 });
  await log.ack(0, rest.map((e) => e.id));
  await log.trim();
  t.same(await left(), all.slice(6), 'another group that has not read them keeps them');
  await redis.xgroup('DESTROY', key, 'audit');
  await log.trim();
  t.equal(await redis.xlen(key), 0, 'once every group is done, nothing is left');
});

t.test('acks trigger a throttled trim by themselves', async (t) => {
  const log = await openLog(t, shared, { partitions: 1, trimIntervalMs: 50 });
  const redis = inspect(t, shared);
  for (let i = 0; i < 5; i++) await log.append(new Map([[0, sampleSpans(2, { seed: 70 + i })]]));
  const read = await log.readNew([0], 'node-a', { count: 3, blockMs: 0 });
  await log.ack(0, read.map((e) => e.id));
  await eventually('the acked entries to be trimmed', async () => (await redis.xlen(log.streamKey(0))) === 2);
  t.equal(await log.backlog(), 4, 'the two undelivered entries stay, with their spans');
});

t.test('another handle on the same log sees its appends and acks in the backlog', async (t) => {
  const keyPrefix = `handles${prefixes++}`;
  const a = await openLog(t, shared, { keyPrefix });
  const b = await openLog(t, shared, { keyPrefix });
  await a.append(new Map([[1, sampleSpans(5)]]));
  t.equal(await b.backlog(), 5);
  const [entry] = await b.readNew([1], 'node-b', { count: 1, blockMs: 0 });
  await a.ack(1, [entry.id]); // a did not read it: the span count comes from the entry itself
  await a.ack(1, [entry.id]);
  t.equal(await b.backlog(), 0, 'counted once');
});

t.test('an unreadable entry is reported and acknowledged, never re-delivered', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const log = await openLog(t, shared, { logger: pino({ level: 'warn' }, sink) });
  const redis = inspect(t, shared);
  const id = await redis.xadd(log.streamKey(0), '*', 'n', '1', 'b', Buffer.from([0x1a, 0x7f, 0x01]));
  await log.append(new Map([[0, sampleSpans(2)]]));
  const read = await log.readNew([0], 'node-a', { count: 10, blockMs: 0 });
  t.equal(read.length, 1, 'the good entry is delivered');
  t.same(await log.readPending(0, 'node-a', 10).then((e) => e.map((x) => x.id)), [read[0].id], 'the bad one is not pending');
  t.ok(lines.some((l) => l.includes(String(id)) && l.includes('unreadable')), 'one error line names the entry');
});

t.test('a client passed in is used and left open', async (t) => {
  const client = inspect(t, shared);
  const log = await createRedisSpanLog({ redis: client, partitions: 2, maxBacklogSpans: 100, keyPrefix: `given${prefixes++}`, logger: quiet });
  await log.append(new Map([[0, sampleSpans(1)]]));
  t.equal((await log.readNew([0], 'n', { count: 1, blockMs: 100 })).length, 1, 'blocking reads use a duplicate connection');
  await log.close();
  t.equal(await client.ping(), 'PONG');
});

t.test('a client with its own keyPrefix is refused as CONFIG', async (t) => {
  const client = new Redis(shared.url, { keyPrefix: 'app:' });
  t.teardown(() => client.disconnect());
  const err = await errorOf(createRedisSpanLog({ redis: client, partitions: 2, maxBacklogSpans: 10, logger: quiet }));
  t.equal(err?.code, 'CONFIG');
});

t.test('Redis that cannot be reached at start is UNAVAILABLE', async (t) => {
  const gone = await startRedis(t);
  await gone.stop();
  const err = await errorOf(createRedisSpanLog({ redis: gone.url, partitions: 2, maxBacklogSpans: 10, logger: quiet }));
  t.equal(err?.code, 'UNAVAILABLE');
});

t.test('Redis down: UNAVAILABLE at once, then recovery by itself after a restart', async (t) => {
  const redis = await startRedis(t);
  const log = await openLog(t, redis, { commandTimeoutMs: 1000 });
  await log.append(new Map([[0, sampleSpans(2)]]));
  await redis.stop();
  const started = performance.now();
  const appendErr = await errorOf(log.append(new Map([[1, sampleSpans(2)]])));
  t.equal(appendErr?.code, 'UNAVAILABLE');
  t.ok((appendErr?.retryAfterSec ?? 0) > 0, 'with a retry hint');
  t.equal((await errorOf(log.readNew([0, 1], 'node-a', { count: 10, blockMs: 0 })))?.code, 'UNAVAILABLE');
  t.equal((await errorOf(log.readNew([0, 1], 'node-a', { count: 10, blockMs: 500 })))?.code, 'UNAVAILABLE');
  t.equal((await errorOf(log.ack(0, ['1-0'])))?.code, 'UNAVAILABLE');
  t.ok(performance.now() - started < 5_000, 'fails fast, no queue waiting for Redis');

  await redis.restart(); // no persistence: streams and groups are gone
  const spans = sampleSpans(3, { seed: 90 });
  await eventually('an append to succeed again', async () => (await log.append(new Map([[1, spans]])), true));
  const read = await log.readNew([0, 1], 'node-a', { count: 10, blockMs: 1000 });
  t.same(read.map((e) => e.spans), [spans], 'the group is recreated and the new entry read');
});

t.test('a durable Redis keeps acknowledged appends and pending entries across its kill -9', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const keyPrefix = 'durable';
  const log = await openLog(t, redis, { keyPrefix });
  const batches = [sampleSpans(4, { seed: 1 }), sampleSpans(5, { seed: 2 }), sampleSpans(6, { seed: 3 })];
  for (const b of batches) await log.append(new Map([[2, b]]));
  const pending = await log.readNew([2], 'node-a', { count: 2, blockMs: 0 });
  await redis.stop('SIGKILL');
  await redis.restart();
  const after = await openLog(t, redis, { keyPrefix });
  const again = await after.readPending(2, 'node-a', 10);
  t.same(again.map((e) => e.id), pending.map((e) => e.id), 'the owner re-reads its pending entries');
  t.same(again.map((e) => e.spans), batches.slice(0, 2));
  t.same((await after.readNew([2], 'node-a', { count: 10, blockMs: 0 })).map((e) => e.spans), [batches[2]]);
  t.equal(await after.backlog(), 15);
});

t.test('Redis out of memory refuses appends as RESOURCE_EXHAUSTED', async (t) => {
  const redis = await startRedis(t, { args: ['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction'] });
  const log = await openLog(t, redis, { partitions: 2 });
  const big = sampleSpans(2000, { seed: 8 });
  let err: { code?: string } | undefined;
  for (let i = 0; i < 50 && err === undefined; i++) err = await errorOf(log.append(new Map([[0, big], [1, big]])));
  t.equal(err?.code, 'RESOURCE_EXHAUSTED');
});
