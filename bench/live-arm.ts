// One arm of bench/live.ts: a fresh node on an empty data directory (bench/live-node.ts), with
// or without the subscriber process (bench/live-clients.ts), taken through the same phases:
//  1. warm-up, paced at --rate (JIT, first store files), not measured;
//  2. paced at --rate: acknowledged spans/s, node CPU per span (from the first request until
//     every acknowledged span is written), delivery latency, event-loop delay;
//  3. full speed for --full-seconds: the sustained rate, spans acknowledged per second from the
//     first request until every one of them is written (sent → queryable), the acknowledged
//     rate while the load ran, and node CPU per span (writing included).
// Both arms of a round write the same traces (same seeds) into the same empty store, so what
// differs between them is the subscribers alone.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NO_FAULTS } from '../src/loadgen/feed.ts';
import { encoderFor, transportFor } from '../src/loadgen/protocols.ts';
import { LoadRunner } from '../src/loadgen/runner.ts';
import { cpuSecondsOf } from './node-process.ts';

/** Each phase has its own seed, so no phase re-sends trace ids an earlier one wrote. */
export const SEED = 'live-bench';
const here = import.meta.dirname;
/** Extra Node.js flags for the node process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const NODE_FLAGS = (process.env.TESSERA_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');

export interface ArmOptions {
  /** Subscriber count; 0 runs the arm without the subscriber process. */
  subscribers: number;
  queriesFile: string;
  rate: number;
  seconds: number;
  fullSeconds: number;
  warmSeconds: number;
  windowMs: number;
  /** A directory of this arm's own, removed afterwards; the node's data directory goes in it. */
  dir: string;
}

export interface ArmResult {
  paced: {
    /** Acknowledged spans per second while the load ran. */
    ackRate: number;
    /** Node CPU µs per acknowledged span, the writing of every one of them included. */
    cpuPerSpan: number;
    elapsedMs: number;
    /** Node event-loop delay while paced, from its /metrics (prom-client's monitor). */
    loopP99Ms: number;
    loopMaxMs: number;
  };
  full: {
    /** Acknowledged spans per second until every one of them was written (sent → queryable). */
    sustainedRate: number;
    /** Acknowledged spans per second while the load ran. */
    acceptedRate: number;
    /** Node CPU µs per acknowledged span, the writing of every one of them included. */
    cpuPerSpan: number;
  };
  /** Only with subscribers. */
  live?: {
    p50: number;
    p99: number;
    eventsPerSec: number;
    /** Time the live path held the node's event loop (LiveServerStats.busyMs) per paced span. */
    busyPerSpanUs: number;
    groups: number;
    /** The subscriber process's CPU while paced (it shares the machine with the node). */
    clientsCores: number;
    errors: number;
  };
  /** Subscribers cut off plus traces the hub dropped, whole arm. */
  lost: number;
}

type Message = { type: string; [k: string]: unknown };

function child(script: string, args: string[], flags: string[] = []): { proc: ChildProcess; next: (type: string) => Promise<Message> } {
  const proc = fork(resolve(here, script), args, { execArgv: ['--import', 'tsx', ...flags], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<string, { resolve: (m: Message) => void; reject: (e: Error) => void }[]>();
  proc.on('message', (m: Message) => waiting.get(m.type)?.shift()?.resolve(m));
  proc.once('exit', (code) => {
    for (const [type, list] of waiting) for (const w of list.splice(0)) w.reject(new Error(`${script} exited (${code}) while waiting for ${type}`));
  });
  const next = (type: string) => new Promise<Message>((resolve, reject) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return reject(new Error(`${script} has exited (${proc.exitCode ?? proc.signalCode})`));
    const list = waiting.get(type) ?? [];
    list.push({ resolve, reject });
    waiting.set(type, list);
  });
  return { proc, next };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ingest(otlpHttp: string, paced: number, forSeconds: number, seed: string): Promise<{ acked: number; elapsedMs: number }> {
  const transport = transportFor('otlp-http-proto', otlpHttp, { tenant: null, concurrency: 4, timeoutMs: 30_000, gzip: false });
  return new LoadRunner({
    rate: paced, rateUnit: 'spans', durationMs: forSeconds * 1000, rampMs: 0, batchSpans: 512, concurrency: 4, maxRetries: 100,
    lingerMs: 200, maxBackoffMs: 2_000, generator: { seed }, faults: NO_FAULTS, keepManifest: false,
  }, transport, encoderFor('otlp-http-proto')).run()
    .then((r) => ({ acked: r.counters.spansAcked, elapsedMs: r.elapsedMs }))
    .finally(() => transport.close());
}

/** The node's /metrics as name → value (labels ignored: one node, one series per name here). */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) values.set(m[1], Number(m[2]));
  }
  return values;
}

const metric = (values: Map<string, number>, name: string): number => {
  const v = values.get(name);
  if (v === undefined) throw new Error(`the node's /metrics has no ${name}`);
  return v;
};

interface NodeStats {
  server: { subscriptions: number; groups: number; delivered: number; cutOff: number; busyMs: number };
  hub: { dropped: number };
  backlog: number;
}

type ClientsReport = { events: number; p50: number; p99: number; errors: number; closed: number; cpuSeconds: number };

export async function runArm(o: ArmOptions): Promise<ArmResult> {
  mkdirSync(o.dir, { recursive: true });
  const node = child('live-node.ts', ['--data-dir', join(o.dir, 'data'), '--window-ms', String(o.windowMs)], NODE_FLAGS);
  let clients: ReturnType<typeof child> | undefined;
  try {
    const ready = await node.next('ready');
    const pid = node.proc.pid!;
    const otlpHttp = String(ready.otlpHttp);
    const metricsUrl = String(ready.metrics);
    const stats = async (): Promise<NodeStats> => {
      const reply = node.next('stats');
      node.proc.send({ type: 'stats' });
      return (await reply) as unknown as NodeStats;
    };
    const until = async (what: string, done: () => Promise<boolean>, limitMs: number): Promise<void> => {
      const deadline = Date.now() + limitMs;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`${what} within ${limitMs / 1000} s`);
        await sleep(100);
      }
    };
    const drained = () => until('the node did not write its backlog', async () => (await stats()).backlog === 0, 300_000);
    const clientsReport = async (): Promise<ClientsReport> => {
      const reply = clients!.next('report');
      clients!.proc.send({ type: 'report' });
      return (await reply) as unknown as ClientsReport;
    };

    if (o.subscribers > 0) {
      clients = child('live-clients.ts', [String(ready.ws), String(o.subscribers), o.queriesFile]);
      await clients.next('subscribed');
      await until('the subscribers did not all subscribe', async () => (await stats()).server.subscriptions >= o.subscribers, 60_000);
    }

    await ingest(otlpHttp, o.rate, o.warmSeconds, `${SEED}-warm`);
    await drained();

    // 2. Paced. The scrape resets prom-client's event-loop histogram, so the next one covers this phase.
    await scrape(metricsUrl);
    const before = await stats();
    const clientsBefore = clients && (await clientsReport());
    clients?.proc.send({ type: 'reset' });
    if (clients) node.proc.send({ type: 'profile' });
    const cpu0 = cpuSecondsOf(pid);
    const load = await ingest(otlpHttp, o.rate, o.seconds, SEED);
    await drained();
    const pacedCpu = cpuSecondsOf(pid) - cpu0;
    if (clients) node.proc.send({ type: 'profileStop' });
    const loop = await scrape(metricsUrl);
    // The last traces close one window after their last span, then travel: let them arrive
    // (the arm without subscribers waits too, so both give the store the same pause).
    await sleep(o.windowMs + 1000);
    const after = await stats();
    const clientsAfter = clients && (await clientsReport());

    // 3. Full speed. There is no steady state to sample inside the phase: while the receivers
    // take everything they can, trace writes lag behind and come in large batches, until the
    // span log reaches its bound (--max-inflight-spans). So the rate is taken over the whole
    // phase and its drain, like the paced one.
    const c1 = cpuSecondsOf(pid);
    const t1 = performance.now();
    const full = await ingest(otlpHttp, 0, o.fullSeconds, `${SEED}-full`);
    await drained();
    const fullMs = performance.now() - t1;
    const fullCpu = cpuSecondsOf(pid) - c1;
    const final = await stats();

    return {
      paced: {
        ackRate: (load.acked * 1000) / load.elapsedMs,
        cpuPerSpan: (pacedCpu * 1e6) / Math.max(1, load.acked),
        elapsedMs: load.elapsedMs,
        loopP99Ms: metric(loop, 'tessera_nodejs_eventloop_lag_p99_seconds') * 1000,
        loopMaxMs: metric(loop, 'tessera_nodejs_eventloop_lag_max_seconds') * 1000,
      },
      full: {
        sustainedRate: (full.acked * 1000) / fullMs,
        acceptedRate: (full.acked * 1000) / full.elapsedMs,
        cpuPerSpan: (fullCpu * 1e6) / Math.max(1, full.acked),
      },
      live: clientsAfter && clientsBefore ? {
        p50: clientsAfter.p50,
        p99: clientsAfter.p99,
        eventsPerSec: (after.server.delivered - before.server.delivered) / (load.elapsedMs / 1000),
        busyPerSpanUs: ((after.server.busyMs - before.server.busyMs) * 1000) / Math.max(1, load.acked),
        groups: after.server.groups,
        clientsCores: (clientsAfter.cpuSeconds - clientsBefore.cpuSeconds) / (load.elapsedMs / 1000),
        errors: clientsAfter.errors + clientsAfter.closed,
      } : undefined,
      lost: final.server.cutOff + final.hub.dropped,
    };
  } finally {
    // The measurement is over and the data directory goes: nothing to stop gracefully for.
    await Promise.all([clients, node].map(async (c) => {
      if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
      const exited = new Promise((r) => c.proc.once('exit', r));
      c.proc.kill('SIGKILL');
      await exited;
    }));
    rmSync(o.dir, { recursive: true, force: true });
  }
}
