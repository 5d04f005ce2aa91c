// The node process of bench/live.ts: an embedded Tessera node (src/node/node.ts, the same
// wiring as `tessera start`) in this process, so its live counters and event-loop delay can be
// read over IPC ({type:'stats'} → its live counters, {type:'resetLoop'}, {type:'stop'}).
// TESSERA_LIVE_PROFILE=/tmp/with.cpuprofile on bench/live.ts profiles this process during the
// paced phase with subscribers only ({type:'profile'} starts, {type:'profileStop'} writes it).
//   (forked by bench/live.ts) node --import tsx bench/live-node.ts --window-ms 1000
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { compileOptions } from '../src/config/options.ts';
import { startNode } from '../src/node/node.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};

const dir = mkdtempSync(join(tmpdir(), 'tessera-live-bench-node-'));
const opts = compileOptions({
  dataDir: join(dir, 'data'), host: '127.0.0.1', httpPort: '0', otlpGrpcPort: '0', otlpHttpPort: '0', zipkinPort: '0', jaegerGrpcPort: '0',
  windowMs: arg('window-ms', '1000'), partitions: arg('partitions', '64'), logLevel: 'warn',
}, {});
const node = await startNode(opts, pino({ level: 'warn' }));
const base = `127.0.0.1:${node.ports.http}/graphql`;
// How long the event loop is held up: live events wait behind whatever runs on it.
let loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
process.send!({ type: 'ready', ws: `ws://${base}`, graphql: `http://${base}`, otlpHttp: `http://127.0.0.1:${node.ports.otlpHttp}/v1/traces` });
const profileFile = process.env.TESSERA_LIVE_PROFILE;
const profiler = profileFile ? new Session() : undefined;
profiler?.connect();
process.on('message', (m: { type: string }) => {
  if (m.type === 'profile' && profiler) void profiler.post('Profiler.enable').then(() => profiler.post('Profiler.start'));
  if (m.type === 'profileStop' && profiler) {
    void profiler.post('Profiler.stop').then(({ profile }) => writeFileSync(profileFile!, JSON.stringify(profile)));
  }
  if (m.type === 'stats') {
    void node.log.backlog().then((backlog) => process.send!({
      type: 'stats', server: node.live.server!.stats(), hub: node.live.hub.stats(), backlog,
      loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6,
    }));
  }
  if (m.type === 'resetLoop') {
    loop.disable();
    loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
  }
  if (m.type === 'stop') {
    void node.stop().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  }
});
