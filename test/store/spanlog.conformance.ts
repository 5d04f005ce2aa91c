// The SpanLog conformance suite: every adapter runs these same subtests, named after the rules
// of docs/PROTOCOL.md "Span log". An adapter passes by providing a factory.

import type { Test } from 'tap';
import { TesseraError } from '../../src/errors.ts';
import type { Span } from '../../src/model/span.ts';
import type { SpanLog, SpanLogEntry } from '../../src/store/api.ts';
import { eventually, sampleSpans } from './spanlog-fixtures.ts';

export interface SpanLogUnderTest {
  log: SpanLog;
  /**
   * The log as a restarted node opens it: a new handle on the same durable log (the same
   * instance for an in-process log, which lives as long as its process).
   */
  reopen(): Promise<SpanLog>;
}

export interface SpanLogTestOptions {
  partitions: number;
  maxBacklogSpans: number;
}

/** Makes a fresh, empty log for one subtest and registers its teardown on `t`. */
export type SpanLogFactory = (t: Test, opts: SpanLogTestOptions) => Promise<SpanLogUnderTest>;

const DEFAULTS: SpanLogTestOptions = { partitions: 8, maxBacklogSpans: 100_000 };

let seed = 1;
const spans = (n: number, tenant = 'acme'): Span[] => sampleSpans(n, { seed: seed++, tenant });
const batch = (...parts: [number, Span[]][]): Map<number, Span[]> => new Map(parts);
const ids = (entries: SpanLogEntry[]): string[] => entries.map((e) => e.id);

async function codeOf(p: Promise<unknown>): Promise<TesseraError | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TesseraError) return err;
    throw err;
  }
  return undefined;
}

export function spanLogConformance(t: Test, name: string, factory: SpanLogFactory): void {
  const open = async (t: Test, opts: Partial<SpanLogTestOptions> = {}) => factory(t, { ...DEFAULTS, ...opts });

  t.test(`${name}: SpanLog conformance`, async (t) => {
    t.test('an appended batch is read whole by the partition owner', async (t) => {
      const { log } = await open(t);
      const written = [...spans(30), ...spans(1, 'テナント-ü')];
      written[3] = { ...written[3], attributes: { ...written[3].attributes, 'note.unicode': 'Zoë 🚀 𝄞' } };
      await log.append(batch([5, written]));
      const read = await log.readNew([5], 'node-a', { count: 10, blockMs: 0 });
      t.equal(read.length, 1, 'one entry per partition per append');
      t.equal(read[0].partition, 5);
      t.same(read[0].spans, written, 'every span, every field');
    });

    t.test('an append writes one entry per partition it names', async (t) => {
      const { log } = await open(t);
      const a = spans(3);
      const b = spans(4);
      await log.append(batch([1, a], [6, b], [2, []]));
      const read = await log.readNew([0, 1, 2, 3, 4, 5, 6, 7], 'node-a', { count: 10, blockMs: 0 });
      const byPartition = new Map(read.map((e) => [e.partition, e.spans]));
      t.same([...byPartition.keys()].sort(), [1, 6], 'no entry for an empty batch');
      t.same(byPartition.get(1), a);
      t.same(byPartition.get(6), b);
    });

    t.test('entries of one partition are read in append order', async (t) => {
      const { log } = await open(t);
      const appended: Span[][] = [];
      for (let i = 0; i < 12; i++) {
        appended.push(spans(2));
        await log.append(batch([3, appended[i]]));
      }
      const first = await log.readNew([3], 'node-a', { count: 5, blockMs: 0 });
      const rest = await log.readNew([3], 'node-a', { count: 100, blockMs: 0 });
      t.equal(first.length, 5, 'at most count entries per partition');
      t.same([...first, ...rest].map((e) => e.spans), appended);
    });

    t.test('one read serves every partition a node owns, count entries each', async (t) => {
      const { log } = await open(t);
      for (let i = 0; i < 3; i++) await log.append(batch([0, spans(1)], [4, spans(1)], [7, spans(1)]));
      const read = await log.readNew([0, 4], 'node-a', { count: 2, blockMs: 0 });
      t.same(read.map((e) => e.partition).sort(), [0, 0, 4, 4]);
      const untouched = await log.readNew([7], 'node-b', { count: 10, blockMs: 0 });
      t.equal(untouched.length, 3, 'partitions not asked for are left for their owner');
      t.same(await log.readNew([0, 4], 'node-a', { count: 0, blockMs: 0 }), [], 'count 0 reads nothing');
      t.same(await log.readPending(0, 'node-a', 0), [], 'count 0 re-reads nothing');
    });

    t.test('an entry is delivered to one consumer only', async (t) => {
      const { log } = await open(t);
      await log.append(batch([2, spans(5)]));
      const a = await log.readNew([2], 'node-a', { count: 10, blockMs: 0 });
      const b = await log.readNew([2], 'node-b', { count: 10, blockMs: 0 });
      t.equal(a.length, 1);
      t.same(b, []);
    });

    t.test('an entry stays pending until acked', async (t) => {
      const { log } = await open(t);
      await log.append(batch([1, spans(4)]));
      const [entry] = await log.readNew([1], 'node-a', { count: 10, blockMs: 0 });
      t.same(await log.readNew([1], 'node-a', { count: 10, blockMs: 0 }), [], 'not delivered again as new');
      const pending = await log.readPending(1, 'node-a', 10);
      t.same(ids(pending), [entry.id]);
      t.same(pending[0].spans, entry.spans);
      t.same(await log.readPending(1, 'node-b', 10), [], 'pending for its consumer only');
      t.equal(await log.backlog(), 4, 'a pending entry counts in the backlog');
    });

    t.test('acked entries are gone from pending and from the backlog', async (t) => {
      const { log } = await open(t);
      for (let i = 0; i < 3; i++) await log.append(batch([0, spans(2)]));
      const read = await log.readNew([0], 'node-a', { count: 10, blockMs: 0 });
      t.equal(await log.backlog(), 6);
      await log.ack(0, [read[0].id, read[2].id]);
      t.same(ids(await log.readPending(0, 'node-a', 10)), [read[1].id]);
      t.equal(await log.backlog(), 2);
      await log.ack(0, [read[0].id, read[1].id]);
      t.same(await log.readPending(0, 'node-a', 10), [], 'an ack of an acked entry changes nothing');
      t.equal(await log.backlog(), 0);
    });

    t.test('a pending entry is re-read by its consumer after restart', async (t) => {
      const { log, reopen } = await open(t);
      const written = spans(6);
      await log.append(batch([3, written]));
      const [entry] = await log.readNew([3], 'node-a', { count: 10, blockMs: 0 });
      const restarted = await reopen();
      const pending = await restarted.readPending(3, 'node-a', 10);
      t.same(ids(pending), [entry.id]);
      t.same(pending[0].spans, written);
      await restarted.ack(3, [entry.id]);
      t.same(await log.readPending(3, 'node-a', 10), [], 'the ack is seen by every handle');
      t.equal(await restarted.backlog(), 0);
    });

    t.test('claimStale takes over an idle entry of another consumer', async (t) => {
      const { log } = await open(t);
      await log.append(batch([4, spans(3)]));
      const [entry] = await log.readNew([4], 'node-a', { count: 10, blockMs: 0 });
      t.same(await log.claimStale(4, 'node-b', 60_000, 10), [], 'an entry idle for less than minIdleMs stays');
      const claimed = await eventually('the entry to be idle for 50 ms', async () => {
        const c = await log.claimStale(4, 'node-b', 50, 10);
        return c.length > 0 && c;
      });
      t.same(ids(claimed), [entry.id]);
      t.same(claimed[0].spans, entry.spans);
      t.same(await log.readPending(4, 'node-a', 10), [], 'no longer pending for the old consumer');
      t.same(ids(await log.readPending(4, 'node-b', 10)), [entry.id], 'pending for the new one until acked');
    });

    t.test('readNew waits and wakes on append', async (t) => {
      const { log } = await open(t);
      const started = performance.now();
      let settled = false;
      const reading = log.readNew([1, 2], 'node-a', { count: 10, blockMs: 20_000 }).finally(() => (settled = true));
      await log.backlog(); // a round trip: the read is under way
      t.notOk(settled, 'nothing to read yet: the read waits');
      const written = spans(2);
      await log.append(batch([2, written]));
      const read = await reading;
      t.same(read.map((e) => e.spans), [written]);
      t.ok(performance.now() - started < 10_000, 'woken by the append, not by the timeout');
    });

    t.test('readNew returns nothing after blockMs when nothing is appended', async (t) => {
      const { log } = await open(t);
      await log.append(batch([5, spans(1)]));
      const started = performance.now();
      const read = await log.readNew([1, 2], 'node-a', { count: 10, blockMs: 300 });
      const waited = performance.now() - started;
      t.same(read, []);
      t.ok(waited >= 250, `waited ${Math.round(waited)} ms of 300`);
    });

    t.test('append over the bound is refused as RESOURCE_EXHAUSTED and nothing is half-visible', async (t) => {
      const { log } = await open(t, { maxBacklogSpans: 10 });
      await log.append(batch([0, spans(6)]));
      const err = await codeOf(log.append(batch([1, spans(3)], [2, spans(3)])));
      t.equal(err?.code, 'RESOURCE_EXHAUSTED');
      t.ok((err?.retryAfterSec ?? 0) > 0, 'tells the client when to retry');
      const read = await log.readNew([0, 1, 2, 3], 'node-a', { count: 10, blockMs: 0 });
      t.same(read.map((e) => e.partition), [0], 'no part of the refused append was written');
      t.equal(await log.backlog(), 6);
    });

    t.test('acks make room under the bound', async (t) => {
      const { log } = await open(t, { maxBacklogSpans: 10 });
      await log.append(batch([0, spans(8)]));
      t.equal((await codeOf(log.append(batch([1, spans(5)]))))?.code, 'RESOURCE_EXHAUSTED');
      const [entry] = await log.readNew([0], 'node-a', { count: 1, blockMs: 0 });
      await log.ack(0, [entry.id]);
      t.equal(await codeOf(log.append(batch([1, spans(5)]))), undefined, 'accepted once the backlog is acked');
      t.equal(await log.backlog(), 5);
    });

    t.test('close wakes a waiting reader', async (t) => {
      const { log } = await open(t);
      const started = performance.now();
      const reading = log.readNew([0], 'node-a', { count: 10, blockMs: 20_000 });
      await log.backlog();
      await log.close();
      t.same(await reading, []);
      t.ok(performance.now() - started < 10_000, 'woken by close, not by the timeout');
    });

    t.test('a partition outside [0, partitions) is INVALID_ARGUMENT', async (t) => {
      const { log } = await open(t, { partitions: 4 });
      t.equal(log.partitions, 4);
      t.equal((await codeOf(log.append(batch([4, spans(1)]))))?.code, 'INVALID_ARGUMENT');
      t.equal((await codeOf(log.readNew([0, 9], 'node-a', { count: 1, blockMs: 0 })))?.code, 'INVALID_ARGUMENT');
      t.equal((await codeOf(log.ack(-1, ['1'])))?.code, 'INVALID_ARGUMENT');
      t.equal(await log.backlog(), 0, 'nothing was appended');
    });
  });
}
