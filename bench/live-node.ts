// The node process of bench/live.ts: an embedded node with live subscriptions, driven over
// IPC ({type:'stats'} → its live counters, {type:'stop'}). It uses the live test node
// (test/live/liveNode.ts) until src/node/node.ts wires live subscriptions itself; then
// bench/live.ts can start `tessera start` through bench/node-process.ts instead.
//   (forked by bench/live.ts) node --import tsx bench/live-node.ts --window-ms 1000
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { startLiveNodeRaw } from '../test/live/liveNode.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};

const node = await startLiveNodeRaw({
  windowMs: Number(arg('window-ms', '1000')),
  partitions: Number(arg('partitions', '64')),
  maxBufferedEvents: Number(arg('max-buffered-events', '10000')),
  maxBufferedBatches: Number(arg('max-buffered-batches', '100')),
  logger: pino({ level: 'warn' }),
});
// How long the event loop is held up: live events wait behind whatever runs on it.
let loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
process.send!({ type: 'ready', ws: node.ws, otlpHttp: node.otlpHttp, graphql: node.graphql });
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    void node.backlog().then((backlog) => process.send!({
      type: 'stats', server: node.live.server!.stats(), hub: node.live.hub.stats(), backlog, spansWritten: node.spansWritten(),
      loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6,
    }));
  }
  if (m.type === 'resetLoop') {
    loop.disable();
    loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
  }
  if (m.type === 'stop') void node.stop().then(() => process.exit(0));
});
