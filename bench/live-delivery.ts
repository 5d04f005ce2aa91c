// The live path alone: what one delivered event costs the node. A memory hub and the
// graphql-ws edge on a plain HTTP server, N subscribers in a child process
// (bench/live-clients.ts, all with one query), and written traces published straight to the
// hub at a fixed rate, so no ingest or store work is mixed in. Reports the node-side CPU per
// event and the delivery latency (published → received).
//   node --import tsx bench/live-delivery.ts [--json] [--seconds 10] [--subscribers 200] [--traces-per-sec 500]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { createMemoryLiveHub } from '../src/live/memoryHub.ts';
import { attachLiveSubscriptions } from '../src/live/server.ts';
import { writtenTrace } from '../test/live/written.ts';
import { type Figure, report } from './figures.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const seconds = Number(arg('seconds', '10'));
const subscribers = Number(arg('subscribers', '200'));
const tracesPerSec = Number(arg('traces-per-sec', '500'));
const TICK_MS = 10;

const logger = pino({ level: 'warn' });
const server = http.createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const hub = createMemoryLiveHub({ logger });
const live = attachLiveSubscriptions(server, { hub, defaultTenant: 'bench', logger });
const dir = mkdtempSync(join(tmpdir(), 'tessera-live-delivery-'));
const queries = join(dir, 'queries.json');
writeFileSync(queries, JSON.stringify([
  'subscription { liveTraces { id update writtenAt d: attribute(expression: {key: "duration"}) n: attribute(expression: {key: "name"}) s: attribute(expression: {key: "services"}) } }',
]));
const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
const clients = fork(resolve(import.meta.dirname, 'live-clients.ts'), [url, String(subscribers), queries], { execArgv: ['--import', 'tsx'] });
const message = (type: string) => new Promise<Record<string, number>>((r) => {
  const on = (m: { type: string }) => {
    if (m.type !== type) return;
    clients.off('message', on);
    r(m as unknown as Record<string, number>);
  };
  clients.on('message', on);
});
await message('subscribed');
while (live.stats().subscriptions < subscribers) await new Promise((r) => setTimeout(r, 100));

const traces = Array.from({ length: 200 }, () => writtenTrace({ tenant: 'bench' }));
clients.send({ type: 'reset' });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const delivered0 = live.stats().delivered;
let next = 0;
// Paced by elapsed time, so a late tick catches up.
const timer = setInterval(() => {
  const due = Math.floor((tracesPerSec * (performance.now() - t0)) / 1000);
  for (; next < due; next++) hub.publish([traces[next % traces.length]]);
}, TICK_MS);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(timer);
const publishMs = performance.now() - t0;
const delivered = live.stats().delivered - delivered0;
const ask = async () => {
  const reply = message('report');
  clients.send({ type: 'report' });
  return reply;
};
// Wait until the subscribers have everything that was handed out (or 30 s).
const deadline = Date.now() + 30_000;
let got = await ask();
while (got.events < delivered && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 200));
  got = await ask();
}
const cpu = process.cpuUsage(cpu0);
clients.send({ type: 'stop' });
await new Promise((r) => clients.once('exit', r));
await live.close();
await hub.close();
server.close();
rmSync(dir, { recursive: true, force: true });

const figures: Figure[] = [
  { id: 'delivery.events', label: `events delivered (${subscribers} subscribers)`, value: (delivered * 1000) / publishMs, unit: 'events/s' },
  { id: 'delivery.cpu', label: 'node CPU per delivered event', value: (cpu.user + cpu.system) / Math.max(1, delivered), unit: 'µs', better: 'lower' },
  { id: 'delivery.p50', label: 'latency p50 (published → received)', value: got.p50, unit: 'ms', better: 'lower' },
  { id: 'delivery.p99', label: 'latency p99', value: got.p99, unit: 'ms', better: 'lower' },
  { id: 'delivery.received', label: 'events received / delivered', value: got.events, unit: `of ${delivered}` },
];
report(`Live delivery path alone (${tracesPerSec} traces/s published, ${seconds}s)`, figures);
