// The golden case: the HotROD trace of test/fixtures/hotrod-jaeger-ui.json, with the counts
// Hypertrace's own tests assert for it (fixtures README).

import t from 'tap';
import { readFileSync } from 'node:fs';
import { decodeJaegerUiJson } from '../../src/ingest/jaeger-ui-json.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import type { EnrichedTrace } from '../../src/enrich/types.ts';

const body = readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url));

async function enrichHotrod(resolver = new MemoryEntityResolver()): Promise<EnrichedTrace> {
  const pipeline = createDefaultEnrichment({ resolver });
  return pipeline.enrich(assembleTrace(decodeJaegerUiJson(body, '__default')));
}

const count = (values: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

t.test('HotROD: 13 API nodes and 12 API-node edges, every span in exactly one node', async (t) => {
  const trace = await enrichHotrod();
  t.same(trace.failures, []);
  t.equal(trace.spans.length, 50);
  t.equal(trace.apiNodes.length, 13);
  t.equal(trace.apiEdges.length, 12);
  const membership = new Array<number>(50).fill(0);
  for (const node of trace.apiNodes) for (const i of node.spans) membership[i]++;
  t.ok(membership.every((c) => c === 1), 'each of the 50 spans is in one node');
  t.same(new Set(trace.apiEdges.map((e) => e.kind)), new Set(['EXIT_ENTRY']));
  t.same(count(trace.apiEdges.map((e) => trace.enriched.serviceName[e.toSpan])), { customer: 1, driver: 1, route: 10 });
  t.same(count(trace.apiEdges.map((e) => trace.enriched.serviceName[e.fromSpan])), { frontend: 12 });
});

t.test('HotROD: one root entry and 14 backend calls (customer → mysql 1, driver → redis 13)', async (t) => {
  const trace = await enrichHotrod();
  const { serviceName, apiName, backend } = trace.enriched;
  t.same(trace.entriesWithoutIncoming.map((i) => `${serviceName[i]} ${apiName[i]}`), ['frontend GET /dispatch']);
  t.equal(trace.exitsWithoutOutgoing.length, 14);
  const calls = trace.exitsWithoutOutgoing.map((i) => `${serviceName[i]} → ${backend[i]?.name ?? 'none'}`);
  t.same(count(calls), { 'customer → mysql': 1, 'driver → redis': 13 });
  t.same(new Set(trace.exitsWithoutOutgoing.map((i) => backend[i]?.protocol)), new Set(['UNKNOWN']), 'found by the client-span fallback');
});

t.test('HotROD: services, APIs and backends', async (t) => {
  const trace = await enrichHotrod();
  t.same([...trace.summary.services].sort(), ['customer', 'driver', 'frontend', 'route']);
  const byType = (type: string) => trace.entities.filter((e) => e.type === type).map((e) => e.name).sort();
  t.same(byType('SERVICE'), ['customer', 'driver', 'frontend', 'route']);
  t.same(byType('API'), ['GET /customer', 'GET /dispatch', 'GET /route', 'driver.DriverService/FindNearest']);
  t.same(byType('BACKEND'), ['mysql', 'redis']);
  t.equal(trace.summary.transactionName, 'GET /dispatch');
  t.equal(trace.summary.uniqueApis, 4);
  t.equal(trace.summary.apiExitCalls, 26, '12 API calls and 14 backend calls');
});

t.test('HotROD: the two failed redis lookups are the driver API trace\'s errors', async (t) => {
  const trace = await enrichHotrod();
  const driver = trace.apiNodes.find((n) => n.entry !== -1 && trace.enriched.serviceName[n.entry] === 'driver')!;
  t.equal(driver.errorSpanCount, 2);
  t.same(driver.calleeNameCount, { redis: 13 });
  t.equal(trace.summary.spanCountWithErrors, 2);
  t.equal(trace.summary.transactionHasError, false);
});

t.test('HotROD: another node with its own resolver computes the same entity ids', async (t) => {
  const a = await enrichHotrod(new MemoryEntityResolver());
  const b = await enrichHotrod(new MemoryEntityResolver());
  t.same(b.entities.map((e) => e.id), a.entities.map((e) => e.id));
  t.same(b.enriched.apiId, a.enriched.apiId);
  t.equal(new Set(a.entities.map((e) => e.id)).size, 10);
});
