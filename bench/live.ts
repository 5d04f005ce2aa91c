// Live subscriptions under load (issue 6): 1 000 graphql-ws subscribers on one embedded node
// while 5 000 spans/s come in over OTLP/HTTP — delivery latency, and the ingest rate and node
// CPU per span with and without the subscribers (goal: ≤ 10 % ingest cost).
//
// Method. Writing costs more as the store grows, so figures from phases run one after another on
// one node are not comparable. Every measurement here is an arm (bench/live-arm.ts) on a fresh
// node with an empty data directory: warm-up, then paced at --rate, then full speed. A round is
// one arm without subscribers and one with them, back to back; the order alternates from round
// to round (without first, then with first, …), so a machine getting busier or quieter biases
// neither side. Costs are computed per round, from its two arms, and every figure is the median
// of --repeats rounds, with its samples (bench/run.ts prints min – max).
//
// The figure is the acknowledged ingest rate at the stated load, paced at --rate, with
// against without (`live.ackCost`, the goal row of docs/benchmarks.md). Beside it the node's CPU
// per span while paced (`live.cost`): the steadier reading of the same cost while the node keeps
// up, and the one that shows it before the rate does. Secondary: full speed for --full-seconds,
// the sustained rate (spans acknowledged per second from the first request until all of them
// are written: sent → queryable), with against without (`live.fullCost`). The subscriber process runs on the same machine and takes CPU from the node
// (reported as `live.clientsCores`), so on a small machine the rate costs are upper bounds.
//   node --import tsx bench/live.ts [--json] [--repeats 3] [--seconds 10] [--full-seconds 6]
//     [--warm-seconds 2] [--rate 5000] [--subscribers 1000] [--window-ms 1000]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import { type Figure, fmt, report } from './figures.ts';
import { type ArmResult, SEED, runArm } from './live-arm.ts';

function arg(name: string, fallback: string): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i < 0 ? fallback : process.argv[i + 1];
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
  return value;
}
const repeats = Math.max(1, Math.round(arg('repeats', '3')));
const seconds = arg('seconds', '10');
const fullSeconds = arg('full-seconds', '6');
const warmSeconds = arg('warm-seconds', '2');
const rate = arg('rate', '5000');
const subscribers = Math.max(1, Math.round(arg('subscribers', '1000')));
const windowMs = arg('window-ms', '1000');

/** One subscription per filter set: selective filters, as people watching live traffic use. */
function filterSets(): string[] {
  // Service names do not depend on the seed (src/loadgen/topology.ts), so these match every phase's traces.
  const services = new TraceGenerator({ seed: SEED }).topology.services.map((s) => s.name);
  const f = (key: string, op: string, value: string | number) => `{type: ATTRIBUTE, keyExpression: {key: "${key}"}, operator: ${op}, value: ${JSON.stringify(value)}}`;
  const attr = (alias: string, key: string) => `${alias}: attribute(expression: {key: "${key}"})`;
  const sets: string[] = [];
  for (const s of services) {
    sets.push(
      `subscription { liveTraces(type: TRACE, filterBy: [${f('services', 'EQUALS', s)}, ${f('duration', 'GREATER_THAN', 300)}]) { id update writtenAt ${attr('duration', 'duration')} ${attr('name', 'name')} } }`,
      `subscription { liveTraces(type: API_TRACE, filterBy: [${f('serviceName', 'EQUALS', s)}, ${f('duration', 'GREATER_THAN', 200)}]) { id update writtenAt ${attr('api', 'apiName')} ${attr('duration', 'duration')} } }`,
      `subscription { liveSpans(filterBy: [${f('serviceName', 'EQUALS', s)}, ${f('status', 'EQUALS', 'FAIL')}]) { id traceId writtenAt ${attr('name', 'displaySpanName')} ${attr('code', 'statusCode')} } }`,
      `subscription { liveSpans(filterBy: [${f('serviceName', 'EQUALS', s)}, ${f('duration', 'GREATER_THAN', 250)}]) { id traceId writtenAt ${attr('duration', 'duration')} } }`,
    );
  }
  return sets;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** A figure whose value is the median of one sample per round. */
const figure = (f: Omit<Figure, 'value' | 'samples'>, samples: number[]): Figure => ({ ...f, value: median(samples), samples });

interface Round {
  without: ArmResult;
  with: ArmResult & { live: NonNullable<ArmResult['live']> };
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-live-bench-'));
const rounds: Round[] = [];
try {
  const queriesFile = join(dir, 'queries.json');
  writeFileSync(queriesFile, JSON.stringify(filterSets()));
  for (let r = 0; r < repeats; r++) {
    const arms: Partial<Round> = {};
    for (const withSubs of r % 2 === 0 ? [false, true] : [true, false]) {
      const name = withSubs ? 'with' : 'without';
      const result = await runArm({
        subscribers: withSubs ? subscribers : 0, queriesFile, rate, seconds, fullSeconds, warmSeconds, windowMs, dir: join(dir, `${r}-${name}`),
      });
      if (withSubs && result.live === undefined) throw new Error('an arm with subscribers reported no delivery figures');
      (arms as Record<string, ArmResult>)[name] = result;
      const live = result.live ? `, latency p50/p99 ${fmt(result.live.p50)}/${fmt(result.live.p99)} ms, ${result.live.errors} subscriber errors` : '';
      console.log(`round ${r + 1}/${repeats} ${name.padEnd(7)}: paced ${fmt(result.paced.ackRate)} spans/s at ${fmt(result.paced.cpuPerSpan)} µs CPU/span, `
        + `full speed ${fmt(result.full.sustainedRate)} spans/s sustained at ${fmt(result.full.cpuPerSpan)} µs, loop p99 ${fmt(result.paced.loopP99Ms)} ms${live}`);
    }
    rounds.push(arms as Round);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const each = <T>(f: (r: Round) => T): T[] => rounds.map(f);
const pct = (part: number, whole: number): number => (100 * part) / whole;
const subs = `${subscribers} subscribers`;
const figures: Figure[] = [
  // The scenario: paced at --rate.
  figure({ id: 'live.without', label: `acknowledged, paced at ${rate}/s, no subscribers`, unit: 'spans/s', better: 'higher' }, each((r) => r.without.paced.ackRate)),
  figure({ id: 'live.with', label: `acknowledged, paced at ${rate}/s, ${subs}`, unit: 'spans/s', ceiling: 'live.without', better: 'higher' }, each((r) => r.with.paced.ackRate)),
  figure({ id: 'live.ackCost', label: `ingest-rate cost at ${rate}/s: acknowledged rate, (without − with) / without`, unit: '%', better: 'lower' },
    each((r) => pct(r.without.paced.ackRate - r.with.paced.ackRate, r.without.paced.ackRate))),
  figure({ id: 'live.cpuWithout', label: `node CPU per span, paced, no subscribers`, unit: 'µs', better: 'lower' }, each((r) => r.without.paced.cpuPerSpan)),
  figure({ id: 'live.cpuWith', label: `node CPU per span, paced, ${subs}`, unit: 'µs', ceiling: 'live.cpuWithout', better: 'lower' }, each((r) => r.with.paced.cpuPerSpan)),
  figure({ id: 'live.cost', label: 'node CPU per span added, paced: (with − without) / without', unit: '%', better: 'lower' },
    each((r) => pct(r.with.paced.cpuPerSpan - r.without.paced.cpuPerSpan, r.without.paced.cpuPerSpan))),
  figure({ id: 'live.p50', label: 'delivery latency p50 (written → received)', unit: 'ms', better: 'lower' }, each((r) => r.with.live.p50)),
  figure({ id: 'live.p99', label: 'delivery latency p99', unit: 'ms', better: 'lower' }, each((r) => r.with.live.p99)),
  figure({ id: 'live.events', label: 'events delivered while paced', unit: 'events/s' }, each((r) => r.with.live.eventsPerSec)),
  figure({ id: 'live.busyPerSpan', label: 'live path event-loop time per span (wall, upper bound)', unit: 'µs', better: 'lower' }, each((r) => r.with.live.busyPerSpanUs)),
  figure({ id: 'live.clientsCores', label: 'subscriber process CPU while paced (same machine)', unit: 'cores' }, each((r) => r.with.live.clientsCores)),
  figure({ id: 'live.loopP99Without', label: 'node event-loop delay p99, paced, no subscribers', unit: 'ms', better: 'lower' }, each((r) => r.without.paced.loopP99Ms)),
  figure({ id: 'live.loopP99', label: `node event-loop delay p99, paced, ${subs}`, unit: 'ms', better: 'lower' }, each((r) => r.with.paced.loopP99Ms)),
  figure({ id: 'live.loopMax', label: `node event-loop delay max, paced, ${subs}`, unit: 'ms', better: 'lower' }, each((r) => r.with.paced.loopMaxMs)),
  // Secondary: full speed, steady part of the phase.
  figure({ id: 'live.fullWithout', label: 'sustained at full speed (sent → queryable), no subscribers', unit: 'spans/s', better: 'higher' }, each((r) => r.without.full.sustainedRate)),
  figure({ id: 'live.fullWith', label: `sustained at full speed (sent → queryable), ${subs}`, unit: 'spans/s', ceiling: 'live.fullWithout', better: 'higher' }, each((r) => r.with.full.sustainedRate)),
  figure({ id: 'live.fullCost', label: 'full-speed sustained-rate cost: (without − with) / without', unit: '%', better: 'lower' },
    each((r) => pct(r.without.full.sustainedRate - r.with.full.sustainedRate, r.without.full.sustainedRate))),
  figure({ id: 'live.acceptedWithout', label: 'acknowledged at full speed, no subscribers', unit: 'spans/s', better: 'higher' }, each((r) => r.without.full.acceptedRate)),
  figure({ id: 'live.acceptedWith', label: `acknowledged at full speed, ${subs}`, unit: 'spans/s', ceiling: 'live.acceptedWithout', better: 'higher' }, each((r) => r.with.full.acceptedRate)),
  figure({ id: 'live.cpuFullWithout', label: 'node CPU per span at full speed, no subscribers', unit: 'µs', better: 'lower' }, each((r) => r.without.full.cpuPerSpan)),
  figure({ id: 'live.cpuFullWith', label: `node CPU per span at full speed, ${subs}`, unit: 'µs', ceiling: 'live.cpuFullWithout', better: 'lower' }, each((r) => r.with.full.cpuPerSpan)),
  figure({ id: 'live.groups', label: 'distinct filter sets evaluated per trace', unit: `for ${subscribers} subscriptions` }, each((r) => r.with.live.groups)),
  figure({ id: 'live.cutOff', label: 'subscribers cut off + hub drops + subscriber errors', unit: 'count', better: 'lower' },
    each((r) => r.with.lost + r.without.lost + r.with.live.errors)),
];
report(`Live subscriptions (OTLP/HTTP protobuf; ${repeats} rounds of a fresh node without and one with subscribers, order alternating; `
  + `${seconds} s paced, ${fullSeconds} s full speed, window ${windowMs} ms; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end)`, figures);
