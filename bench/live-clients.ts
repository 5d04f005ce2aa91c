// The subscriber process of bench/live.ts: N graphql-ws clients, one subscription each
// (queries dealt round-robin), timing every event from its `writtenAt` to its arrival.
// IPC: {type:'reset'} starts a measurement, {type:'report'} answers with its figures.
//   (forked by bench/live.ts) node --import tsx bench/live-clients.ts <ws-url> <count> <queries.json>
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { LatencyHistogram } from '../src/loadgen/stats.ts';

const [url, countText, queriesFile] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(queriesFile, 'utf8')) as string[];
const count = Number(countText);
const nowMs = (): number => performance.timeOrigin + performance.now();

let histogram = new LatencyHistogram();
let events = 0;
let since = performance.now();
let errors = 0;
let closed = 0;
const closeCodes = new Map<number, number>();
const clients: Client[] = [];

for (let i = 0; i < count; i++) {
  const client = createClient({
    url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined,
    on: {
      closed: (e) => {
        closed++;
        const code = (e as { code: number }).code;
        closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
      },
    },
  });
  clients.push(client);
  client.subscribe<Record<string, { writtenAt: string }>>({ query: queries[i % queries.length] }, {
    next: (result) => {
      if (!result.data) return;
      const event = Object.values(result.data)[0];
      histogram.record(nowMs() - Date.parse(event.writtenAt));
      events++;
    },
    error: () => void errors++,
    complete: () => undefined,
  });
  // Open connections in waves, not in one burst of SYNs.
  if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50));
}
process.send!({ type: 'subscribed', clients: clients.length });

process.on('message', (m: { type: string }) => {
  if (m.type === 'reset') {
    histogram = new LatencyHistogram();
    events = 0;
    since = performance.now();
  } else if (m.type === 'report') {
    const cpu = process.cpuUsage();
    process.send!({
      type: 'report', events, seconds: (performance.now() - since) / 1000, p50: histogram.quantile(0.5), p99: histogram.quantile(0.99),
      max: histogram.max, errors, closed, closeCodes: Object.fromEntries(closeCodes), cpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
  } else if (m.type === 'stop') {
    void Promise.all(clients.map((c) => c.dispose())).then(() => process.exit(0));
  }
});
