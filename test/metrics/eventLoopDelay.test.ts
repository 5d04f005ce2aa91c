// bench/live.ts reads the node's event-loop delay from /metrics, one scrape before a phase and
// one after it: that relies on the gauges being there and on each scrape starting a new interval.
import t from 'tap';
import { NodeMetrics } from '../../src/metrics/nodeMetrics.ts';

/** One scrape's event-loop delay gauges, in seconds. */
async function loopDelay(m: NodeMetrics): Promise<{ max: number; p99: number }> {
  const text = await m.text();
  const read = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
    if (line === undefined) throw new Error(`no ${name} in the scrape`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return { max: read('tessera_nodejs_eventloop_lag_max_seconds'), p99: read('tessera_nodejs_eventloop_lag_p99_seconds') };
}

const block = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('the event-loop delay is exposed, and each scrape covers only the time since the previous one', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n1' });
  await m.text();
  // The first interval after a scrape's reset is not recorded (Node's interval histogram starts
  // over): let the monitor tick before blocking.
  await sleep(50);
  block(400);
  // Let the monitor's timer fire late, which is when it records the delay.
  await sleep(50);
  const blocked = await loopDelay(m);
  t.ok(blocked.max >= 0.3, `a 400 ms block is seen (max ${blocked.max} s)`);
  t.ok(blocked.p99 >= 0.3, `and reaches the p99 (${blocked.p99} s)`);
  await sleep(100);
  const next = await loopDelay(m);
  t.ok(next.max < 0.3, `the next scrape no longer holds it (max ${next.max} s)`);
});
