import t from 'tap';
import { createMemorySpanLog } from '../../src/store/memory/spanlog.ts';
import { spanLogConformance } from './spanlog.conformance.ts';
import { sampleSpans } from './spanlog-fixtures.ts';

spanLogConformance(t, 'in-process', async (t, opts) => {
  const log = createMemorySpanLog(opts);
  t.teardown(() => log.close());
  // The in-process log lives as long as its process: a restarted reader sees the same log.
  return { log, reopen: async () => log };
});

t.test('claimStale measures idle time on the log clock', async (t) => {
  let now = 1_000;
  const log = createMemorySpanLog({ partitions: 2, maxBacklogSpans: 100, now: () => now });
  t.teardown(() => log.close());
  await log.append(new Map([[1, sampleSpans(2)]]));
  const [entry] = await log.readNew([1], 'node-a', { count: 1, blockMs: 0 });
  now += 4_999;
  t.same(await log.claimStale(1, 'node-b', 5_000, 10), [], 'idle 4999 ms < 5000');
  now += 1;
  t.same((await log.claimStale(1, 'node-b', 5_000, 10)).map((e) => e.id), [entry.id], 'idle 5000 ms');
  now += 10_000;
  await log.readPending(1, 'node-b', 10);
  t.same(await log.claimStale(1, 'node-a', 5_000, 10), [], 'a re-read resets the idle time');
});

t.test('a closed log refuses work as UNAVAILABLE', async (t) => {
  const log = createMemorySpanLog({ partitions: 2, maxBacklogSpans: 100 });
  await log.close();
  await t.rejects(log.append(new Map([[0, sampleSpans(1)]])), { code: 'UNAVAILABLE' });
  await t.rejects(log.readNew([0], 'node-a', { count: 1, blockMs: 0 }), { code: 'UNAVAILABLE' });
  await log.close();
});

t.test('bad options are refused as CONFIG, naming the setting', async (t) => {
  t.throws(() => createMemorySpanLog({ partitions: 0, maxBacklogSpans: 100 }), { code: 'CONFIG', message: /partitions/ });
  t.throws(() => createMemorySpanLog({ partitions: 4, maxBacklogSpans: 0 }), { code: 'CONFIG', message: /maxBacklogSpans/ });
});
