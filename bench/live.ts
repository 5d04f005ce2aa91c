// Live subscriptions under load: 1 000 graphql-ws subscribers on one embedded node while
// 5 000 spans/s come in over OTLP/HTTP. Three processes: the node (bench/live-node.ts), the
// subscribers (bench/live-clients.ts) and this one, which generates the load. Phases, each on
// the same node, after a short warm-up:
//  1. full speed, no subscribers: the node's sustained ingest rate (sent → written);
//  2. paced at --rate, no subscribers: acknowledged spans/s and node CPU per span;
//  3. paced at --rate, --subscribers subscribers (filters dealt over distinct filter sets):
//     the same, plus delivery latency (trace written → event received) and events/s;
//  4. full speed, the subscribers still there: the sustained ingest rate with them;
//  5. the subscribers gone, paced at --rate again, then 6. full speed again.
// The store grows from phase to phase and writing costs more as it does, so every figure
// "without" is the mean of a phase before the subscribers and one after them.
// The ingest cost of live subscriptions, as issue 6 states it, is the sustained ingest rate at
// full speed with subscribers against without (4 against the mean of 1 and 6). The subscriber
// process runs on the same machine: on a 2-core one it takes CPU from the node, so this is an
// upper bound of the node's own cost. Reported beside it: the node's extra CPU per span while
// paced (3 against 2 and 5), and the time the live path held the node's event loop
// (LiveServerStats.busyMs, measured inside the node) per span, the steadiest on a busy machine.
//   node --import tsx bench/live.ts [--json] [--seconds 10] [--rate 5000] [--subscribers 1000] [--window-ms 1000]
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NO_FAULTS } from '../src/loadgen/feed.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import { encoderFor, transportFor } from '../src/loadgen/protocols.ts';
import { LoadRunner } from '../src/loadgen/runner.ts';
import { type Figure, report } from './figures.ts';
import { cpuSecondsOf } from './node-process.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const seconds = Number(arg('seconds', '10'));
const rate = Number(arg('rate', '5000'));
const subscribers = Number(arg('subscribers', '1000'));
const windowMs = Number(arg('window-ms', '1000'));
const SEED = 'live-bench';
const here = import.meta.dirname;

type Message = { type: string; [k: string]: unknown };

/** Extra Node.js flags for the node process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const NODE_FLAGS = (process.env.TESSERA_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');

function child(script: string, args: string[], flags: string[] = []): { proc: ChildProcess; next: (type: string) => Promise<Message> } {
  const proc = fork(resolve(here, script), args, { execArgv: ['--import', 'tsx', ...flags], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<string, { resolve: (m: Message) => void; reject: (e: Error) => void }[]>();
  proc.on('message', (m: Message) => waiting.get(m.type)?.shift()?.resolve(m));
  proc.once('exit', (code) => {
    for (const [type, list] of waiting) for (const w of list.splice(0)) w.reject(new Error(`${script} exited (${code}) while waiting for ${type}`));
  });
  const next = (type: string) => new Promise<Message>((resolve, reject) => {
    if (proc.exitCode !== null) return reject(new Error(`${script} has exited (${proc.exitCode})`));
    const list = waiting.get(type) ?? [];
    list.push({ resolve, reject });
    waiting.set(type, list);
  });
  return { proc, next };
}

/** One subscription per filter set: selective filters, as people watching live traffic use. */
function filterSets(): string[] {
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

async function ingest(otlpHttp: string, paced: number, forSeconds: number): Promise<{ acked: number; elapsedMs: number; rate: number }> {
  const transport = transportFor('otlp-http-proto', otlpHttp, { tenant: null, concurrency: 4, timeoutMs: 30_000, gzip: false });
  try {
    const r = await new LoadRunner({
      rate: paced, rateUnit: 'spans', durationMs: forSeconds * 1000, rampMs: 0, batchSpans: 512, concurrency: 4, maxRetries: 100,
      lingerMs: 200, maxBackoffMs: 2_000, generator: { seed: SEED }, faults: NO_FAULTS, keepManifest: false,
    }, transport, encoderFor('otlp-http-proto')).run();
    return { acked: r.counters.spansAcked, elapsedMs: r.elapsedMs, rate: (r.counters.spansAcked * 1000) / r.elapsedMs };
  } finally {
    await transport.close();
  }
}

interface NodeStats {
  server: { subscriptions: number; groups: number; delivered: number; evaluations: number; cutOff: number; connections: number; busyMs: number };
  hub: { dropped: number };
  backlog: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const node = child('live-node.ts', ['--window-ms', String(windowMs)], NODE_FLAGS);
const ready = await node.next('ready');
const pid = node.proc.pid!;
const stats = async (): Promise<NodeStats> => {
  const reply = node.next('stats');
  node.proc.send({ type: 'stats' });
  return (await reply) as unknown as NodeStats;
};
const otlpHttp = String(ready.otlpHttp);

interface Phase {
  acked: number;
  /** Acknowledged spans per second while the load ran. */
  ackRate: number;
  /** Acknowledged spans per second until every one of them was written (sent → written). */
  sustained: number;
  /** Node CPU µs per span, the writing of every span included. */
  cpuPerSpan: number;
  elapsedMs: number;
}

/** One load phase, measured until everything it acknowledged has been written. */
async function phase(paced: number, forSeconds = seconds): Promise<Phase> {
  const cpu0 = cpuSecondsOf(pid);
  const start = performance.now();
  const load = await ingest(otlpHttp, paced, forSeconds);
  const deadline = Date.now() + 300_000;
  while ((await stats()).backlog > 0) {
    if (Date.now() > deadline) throw new Error('the node did not write its backlog within 5 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainedMs = performance.now() - start;
  return {
    acked: load.acked,
    ackRate: load.rate,
    sustained: (load.acked * 1000) / drainedMs,
    cpuPerSpan: ((cpuSecondsOf(pid) - cpu0) * 1e6) / Math.max(1, load.acked),
    elapsedMs: load.elapsedMs,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-live-bench-'));
let clients: ReturnType<typeof child> | undefined;
const figures: Figure[] = [];
const waitFor = async (what: string, done: () => Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
try {
  // Warm-up (JIT, first store files), not measured.
  await phase(rate, Math.min(5, seconds));
  const fullWithoutBefore = await phase(0);
  const withoutBefore = await phase(rate);

  const queriesFile = join(dir, 'queries.json');
  writeFileSync(queriesFile, JSON.stringify(filterSets()));
  clients = child('live-clients.ts', [String(ready.ws), String(subscribers), queriesFile]);
  await clients.next('subscribed');
  await waitFor('the subscribers did not all subscribe', async () => (await stats()).server.subscriptions >= subscribers);
  const before = await stats();
  clients.proc.send({ type: 'reset' });
  node.proc.send({ type: 'resetLoop' });
  node.proc.send({ type: 'profile' });
  const withSubs = await phase(rate);
  node.proc.send({ type: 'profileStop' });
  // The last traces close one window after their last span, then travel: let them arrive.
  await new Promise((r) => setTimeout(r, windowMs + 1000));
  const after = await stats();
  const replied = clients.next('report');
  clients.proc.send({ type: 'report' });
  type ClientsReport = { events: number; p50: number; p99: number; max: number; errors: number; closed: number; cpuSeconds: number };
  const latency = (await replied) as unknown as ClientsReport;
  const fullStart = performance.now();
  // Full speed with every subscriber still connected: the rate the goal is about.
  const fullWith = await phase(0);
  await new Promise((r) => setTimeout(r, windowMs + 1000));
  const afterFull = await stats();
  const repliedFull = clients.next('report');
  clients.proc.send({ type: 'report' });
  // The subscriber process's CPU while the node ran at full speed: taken from the node's machine.
  const clientsCpuFull = (((await repliedFull) as unknown as ClientsReport).cpuSeconds - latency.cpuSeconds) / ((performance.now() - fullStart) / 1000);

  // The store grows from phase to phase, and writing costs more as it does: the paced phase
  // without subscribers runs again after them, and the cost is against the mean of both.
  const exited = new Promise((r) => clients!.proc.once('exit', r));
  clients.proc.send({ type: 'stop' });
  await exited;
  clients = undefined;
  await waitFor('the subscribers were not all gone', async () => (await stats()).server.connections === 0);
  const withoutAfter = await phase(rate);
  const without = {
    ackRate: (withoutBefore.ackRate + withoutAfter.ackRate) / 2,
    cpuPerSpan: (withoutBefore.cpuPerSpan + withoutAfter.cpuPerSpan) / 2,
  };
  // Measured inside the node, so other processes on the machine do not blur it (busy.ts).
  const liveBusyPerSpan = ((after.server.busyMs - before.server.busyMs) * 1000) / Math.max(1, withSubs.acked);
  const fullWithoutAfter = await phase(0);
  const final = await stats();
  const fullWithout = (fullWithoutBefore.sustained + fullWithoutAfter.sustained) / 2;

  figures.push(
    { id: 'live.ceilingBefore', label: 'sustained at full speed, no subscribers, before', value: fullWithoutBefore.sustained, unit: 'spans/s', better: 'higher' },
    { id: 'live.ceilingAfter', label: 'sustained at full speed, no subscribers, after', value: fullWithoutAfter.sustained, unit: 'spans/s', better: 'higher' },
    { id: 'live.ceiling', label: 'sustained at full speed, no subscribers (mean)', value: fullWithout, unit: 'spans/s', better: 'higher' },
    { id: 'live.fullWith', label: `sustained at full speed, ${subscribers} subscribers`, value: fullWith.sustained, unit: 'spans/s', ceiling: 'live.ceiling', better: 'higher' },
    { id: 'live.rateCost', label: 'ingest cost of the subscribers (full-speed rate)', value: (100 * (fullWithout - fullWith.sustained)) / fullWithout, unit: '%', better: 'lower' },
    { id: 'live.cpuFullWithout', label: 'node CPU per span at full speed, no subscribers (mean)', value: (fullWithoutBefore.cpuPerSpan + fullWithoutAfter.cpuPerSpan) / 2, unit: 'µs', better: 'lower' },
    { id: 'live.cpuFullWith', label: `node CPU per span at full speed, ${subscribers} subscribers`, value: fullWith.cpuPerSpan, unit: 'µs', ceiling: 'live.cpuFullWithout', better: 'lower' },
    { id: 'live.clientsCpuFull', label: 'subscriber process CPU at full speed (same machine)', value: clientsCpuFull, unit: 'cores' },
    { id: 'live.eventsFull', label: 'events delivered at full speed', value: (afterFull.server.delivered - after.server.delivered) / (fullWith.elapsedMs / 1000), unit: 'events/s' },
    { id: 'live.without', label: `acknowledged, paced at ${rate}/s, no subscribers`, value: without.ackRate, unit: 'spans/s', ceiling: 'live.ceiling', better: 'higher' },
    { id: 'live.with', label: `acknowledged, paced at ${rate}/s, ${subscribers} subscribers`, value: withSubs.ackRate, unit: 'spans/s', ceiling: 'live.without', better: 'higher' },
    { id: 'live.cpuWithoutBefore', label: 'node CPU per span, no subscribers, before', value: withoutBefore.cpuPerSpan, unit: 'µs', better: 'lower' },
    { id: 'live.cpuWithoutAfter', label: 'node CPU per span, no subscribers, after', value: withoutAfter.cpuPerSpan, unit: 'µs', better: 'lower' },
    { id: 'live.cpuWithout', label: 'node CPU per span, no subscribers (mean)', value: without.cpuPerSpan, unit: 'µs', better: 'lower' },
    { id: 'live.cpuWith', label: `node CPU per span, ${subscribers} subscribers`, value: withSubs.cpuPerSpan, unit: 'µs', ceiling: 'live.cpuWithout', better: 'lower' },
    { id: 'live.cost', label: 'node CPU per span added by the subscribers, paced', value: (100 * (withSubs.cpuPerSpan - without.cpuPerSpan)) / without.cpuPerSpan, unit: '%', better: 'lower' },
    { id: 'live.busyPerSpan', label: 'live path event-loop time per span (wall, upper bound)', value: liveBusyPerSpan, unit: 'µs', better: 'lower' },
    { id: 'live.busyCost', label: 'live path time against CPU per span without', value: (100 * liveBusyPerSpan) / without.cpuPerSpan, unit: '%', better: 'lower' },
    { id: 'live.groups', label: 'distinct filter sets evaluated per trace', value: after.server.groups, unit: `for ${after.server.subscriptions} subscriptions` },
    { id: 'live.events', label: 'events delivered while paced', value: (after.server.delivered - before.server.delivered) / (withSubs.elapsedMs / 1000), unit: 'events/s' },
    { id: 'live.p50', label: 'delivery latency p50 (written → received)', value: latency.p50, unit: 'ms', better: 'lower' },
    { id: 'live.p99', label: 'delivery latency p99', value: latency.p99, unit: 'ms', better: 'lower' },
    { id: 'live.loopP99', label: 'node event-loop delay p99 while paced', value: after.loopDelayP99Ms, unit: 'ms', better: 'lower' },
    { id: 'live.loopMax', label: 'node event-loop delay max while paced', value: after.loopDelayMaxMs, unit: 'ms', better: 'lower' },
    { id: 'live.cutOff', label: 'subscribers cut off + hub drops, whole run', value: final.server.cutOff + final.hub.dropped, unit: 'count', better: 'lower' },
  );
  if (latency.errors > 0 || latency.closed > 0) console.error(`subscribers: ${latency.errors} errors, ${latency.closed} closed`);
} finally {
  clients?.proc.send({ type: 'stop' });
  node.proc.send({ type: 'stop' });
  await Promise.all([clients, node].map((c) => c && new Promise((r) => (c.proc.exitCode !== null ? r(null) : c.proc.once('exit', r)))));
  rmSync(dir, { recursive: true, force: true });
}
report(`Live subscriptions (OTLP/HTTP protobuf, ${seconds}s of load per phase, window ${windowMs} ms, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end)`, figures);
