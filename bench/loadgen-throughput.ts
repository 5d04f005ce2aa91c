// Is the load generator ever the bottleneck? Spans/s it sends as OTLP/HTTP protobuf to a sink
// in another process that discards them, per wall-clock second and per CPU-second of the
// generator's process (its one core), next to its own ceiling: generate + encode, no network.
//   node --import tsx bench/loadgen-throughput.ts [--json] [--seconds 5]

import { encodeOtlpProtoWith } from '../src/loadgen/encode/otlp-proto.ts';
import { PbWriter } from '../src/loadgen/encode/pb-writer.ts';
import { NO_FAULTS } from '../src/loadgen/feed.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import type { GenSpan } from '../src/loadgen/model.ts';
import { encoderFor, transportFor } from '../src/loadgen/protocols.ts';
import { LoadRunner } from '../src/loadgen/runner.ts';
import { type Figure, perSec, report, timeLoop } from './figures.ts';
import { startDiscardSink } from './sinks.ts';

const i = process.argv.indexOf('--seconds');
const seconds = i < 0 ? 5 : Number(process.argv[i + 1]);
const BATCH = 1000;

// Ceiling: the generator and the protobuf writer alone.
const gen = new TraceGenerator({ seed: 'bench' });
const writer = new PbWriter();
let pending: GenSpan[] = [];
const ceiling = timeLoop(seconds * 1000, () => {
  while (pending.length < BATCH) pending = pending.concat(gen.next(Date.now() * 1000).spans);
  encodeOtlpProtoWith(writer, pending.slice(0, BATCH));
  pending = pending.slice(BATCH);
  return BATCH;
});

const sink = await startDiscardSink();
try {
  const transport = transportFor('otlp-http-proto', sink.url, { tenant: null, concurrency: 4, timeoutMs: 10_000, gzip: false });
  const runner = new LoadRunner({
    rate: 0, rateUnit: 'spans', durationMs: seconds * 1000, rampMs: 0, batchSpans: BATCH, concurrency: 4, maxRetries: 0,
    lingerMs: 200, maxBackoffMs: 1000, generator: { seed: 'bench' }, faults: NO_FAULTS, keepManifest: false,
  }, transport, encoderFor('otlp-http-proto'));
  const cpu0 = process.cpuUsage();
  const result = await runner.run();
  const cpu = process.cpuUsage(cpu0);
  await transport.close();
  const c = result.counters;
  const figures: Figure[] = [
    { id: 'loadgen.ceiling', label: 'generate + encode, no network (per CPU-s)', value: perSec(ceiling.units, ceiling.cpuMs), unit: 'spans/s', better: 'higher' },
    { id: 'loadgen.sendCpu', label: 'OTLP/HTTP protobuf to a discard sink (per CPU-s)', value: perSec(c.spansAcked, (cpu.user + cpu.system) / 1000), unit: 'spans/s', ceiling: 'loadgen.ceiling', better: 'higher' },
    { id: 'loadgen.sendWall', label: 'OTLP/HTTP protobuf to a discard sink (wall clock)', value: perSec(c.spansAcked, result.elapsedMs), unit: 'spans/s', better: 'higher' },
    { id: 'loadgen.bytes', label: 'request size per span', value: c.bytesSent / Math.max(1, c.spansSent), unit: 'B/span' },
    { id: 'loadgen.p99', label: 'export latency p99', value: c.latency.quantile(0.99), unit: 'ms', better: 'lower' },
  ];
  report(`Load generator throughput (${BATCH} spans per request, 4 in flight, ${seconds}s)`, figures);
} finally {
  await sink.stop();
}
