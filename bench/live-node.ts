// The node process of bench/live.ts: an embedded Tessera node (src/node/node.ts, the same
// wiring as `tessera start`) in this process, on the data directory it is given (bench/live.ts
// gives every node a new, empty one), so its live counters can be read over IPC
// ({type:'stats'} → its live counters and span-log backlog, {type:'stop'}). Its written-span
// counter and event-loop delay are read from its /metrics, as a scraper would.
// TESSERA_LIVE_PROFILE=/tmp/with.cpuprofile on bench/live.ts profiles this process during a
// paced phase with subscribers ({type:'profile'} starts, {type:'profileStop'} writes it; each
// node with subscribers overwrites it, so the file holds the last one).
//   (forked by bench/live-arm.ts) node --import tsx bench/live-node.ts --data-dir DIR --window-ms 1000
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { compileOptions } from '../src/config/options.ts';
import { startNode } from '../src/node/node.ts';

const arg = (name: string, fallback?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`bench/live-node.ts needs --${name}`);
  return fallback;
};

const opts = compileOptions({
  dataDir: arg('data-dir'), host: '127.0.0.1', httpPort: '0', otlpGrpcPort: '0', otlpHttpPort: '0', zipkinPort: '0', jaegerGrpcPort: '0',
  windowMs: arg('window-ms', '1000'), partitions: arg('partitions', '64'), logLevel: 'warn',
}, {});
const node = await startNode(opts, pino({ level: 'warn' }));
const http = `127.0.0.1:${node.ports.http}`;
process.send!({
  type: 'ready', ws: `ws://${http}/graphql`, metrics: `http://${http}/metrics`,
  otlpHttp: `http://127.0.0.1:${node.ports.otlpHttp}/v1/traces`,
});
const profileFile = process.env.TESSERA_LIVE_PROFILE;
const profiler = profileFile ? new Session() : undefined;
profiler?.connect();
process.on('message', (m: { type: string }) => {
  if (m.type === 'profile' && profiler) void profiler.post('Profiler.enable').then(() => profiler.post('Profiler.start'));
  if (m.type === 'profileStop' && profiler) {
    void profiler.post('Profiler.stop').then(({ profile }) => writeFileSync(profileFile!, JSON.stringify(profile)));
  }
  if (m.type === 'stats') {
    void node.log.backlog().then((backlog) => process.send!({ type: 'stats', server: node.live.server!.stats(), hub: node.live.hub.stats(), backlog }));
  }
  if (m.type === 'stop') void node.stop().finally(() => process.exit(0));
});
