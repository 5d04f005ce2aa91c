// Entity cache in steady state (issue 4 §6): loadgen traces enriched through the EntityActors'
// LRU cache over the DuckDB entity store, as a node resolves them. After a warm-up, every
// SERVICE / API / BACKEND lookup should be a cache hit: a miss costs a store round trip.
// Reports the hit rate, misses and store calls per 1 000 traces, and the enrichment rate through
// the actors (per CPU-second, store threads included).
//   node --import tsx bench/entity-cache.ts [--json] [--warm 2000] [--traces 10000]
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { startEntityResolver } from '../src/actors/entityResolver.ts';
import { startActorSystem, stopActorSystem } from '../src/actors/runtime.ts';
import { createDefaultEnrichment } from '../src/enrich/defaults.ts';
import { decodeOtlpProto } from '../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import type { AssembledTrace } from '../src/model/trace.ts';
import { openDuckDbEntityStore } from '../src/store/duckdb/entityStore.ts';
import { assembleTrace } from '../src/trace/assemble.ts';
import { report } from './figures.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}
const warmTraces = arg('warm', 2000);
const measuredTraces = arg('traces', 10_000);

// Traces as the ViewWriter gets them: generated, encoded, decoded by the receiver, assembled.
const gen = new TraceGenerator({ seed: 'entity-cache' });
const nowUs = Date.now() * 1000;
const traces: AssembledTrace[] = [];
for (let i = 0; i < warmTraces + measuredTraces; i++) {
  traces.push(assembleTrace(decodeOtlpProto(encodeOtlpProto(gen.next(nowUs + i * 1000).spans), '__default').spans));
}
const spansOf = (list: AssembledTrace[]) => list.reduce((n, t) => n + t.spans.length, 0);

const instance = await DuckDBInstance.create(':memory:');
const store = await openDuckDbEntityStore({ instance });
const system = startActorSystem('entity-cache-bench');
const logger = pino({ level: 'silent' });
const resolver = startEntityResolver(system, { store, logger });
const enrichment = createDefaultEnrichment({ resolver, logger });

// Batches of 100 traces enriched together, as the ViewWriter does.
const enrichAll = async (list: AssembledTrace[]) => {
  for (let i = 0; i < list.length; i += 100) await Promise.all(list.slice(i, i + 100).map((t) => enrichment.enrich(t)));
};
await enrichAll(traces.slice(0, warmTraces));
const warm = resolver.stats();
const cpu0 = process.cpuUsage();
await enrichAll(traces.slice(warmTraces));
const cpu = process.cpuUsage(cpu0);
const after = resolver.stats();
const hits = after.hits - warm.hits;
const misses = after.misses - warm.misses;
const storeCalls = after.gets - warm.gets + (after.upserts - warm.upserts);
const spans = spansOf(traces.slice(warmTraces));

await resolver.close();
stopActorSystem(system);
await store.close();
instance.closeSync();

report(`Entity cache, steady state (${measuredTraces.toLocaleString('en-US')} loadgen traces, ${spans.toLocaleString('en-US')} spans, after ${warmTraces.toLocaleString('en-US')} to warm up)`, [
  { id: 'entities.hitRate', label: 'entity cache hit rate', value: (100 * hits) / Math.max(1, hits + misses), unit: '%', better: 'higher' },
  { id: 'entities.lookups', label: 'entity lookups per span', value: (hits + misses) / spans, unit: 'lookups', better: 'lower' },
  { id: 'entities.misses', label: 'misses per 1 000 traces', value: (1000 * misses) / measuredTraces, unit: 'misses', better: 'lower' },
  { id: 'entities.storeCalls', label: 'store calls per 1 000 traces', value: (1000 * storeCalls) / measuredTraces, unit: 'calls', better: 'lower' },
  { id: 'entities.enrichRate', label: 'enrichment through the actors (per CPU-s)', value: (spans * 1e6) / (cpu.user + cpu.system), unit: 'spans/s', better: 'higher' },
]);
