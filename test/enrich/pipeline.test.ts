import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { TesseraError } from '../../src/errors.ts';
import { createEnrichmentPipeline, dependencyOrder } from '../../src/enrich/pipeline.ts';
import type { Enricher } from '../../src/enrich/enricher.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import type { Entity, EntityRequest, EntityResolver } from '../../src/enrich/entity.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { buildSpans, enrich } from './build.ts';
import type { SpanSpec } from './build.ts';

const noop = (name: string, dependsOn: string[] = []): Enricher => ({ name, dependsOn, enrich() {} });

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const oneTrace = () => assembleTrace(buildSpans([{ id: 'root', kind: 'SERVER' }, { id: 'call', parent: 'root', kind: 'CLIENT' }]));

t.test('runs enrichers after their dependencies, otherwise in the listed order', async (t) => {
  const order = dependencyOrder([noop('c', ['b']), noop('a'), noop('b', ['a']), noop('d')]).map((e) => e.name);
  t.same(order, ['a', 'b', 'c', 'd']);
});

t.test('refuses a missing dependency, a cycle or a name listed twice at start-up', async (t) => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof TesseraError ? err.code : 'not a TesseraError';
    }
    return 'no error';
  };
  t.equal(code(() => dependencyOrder([noop('a', ['zzz'])])), 'CONFIG');
  t.equal(code(() => dependencyOrder([noop('a', ['b']), noop('b', ['a'])])), 'CONFIG');
  t.equal(code(() => dependencyOrder([noop('a'), noop('a')])), 'CONFIG');
});

t.test('an enricher that throws is logged and counted, and the others still run', async (t) => {
  const { logger, lines } = captureLogger();
  const ran: string[] = [];
  const enrichers: Enricher[] = [
    { name: 'first', dependsOn: [], enrich: () => void ran.push('first') },
    { name: 'broken', dependsOn: ['first'], enrich: () => { throw new Error('boom'); } },
    { name: 'after', dependsOn: ['broken'], enrich: () => void ran.push('after') },
    { name: 'asyncBroken', dependsOn: [], enrich: async () => { throw new Error('later boom'); } },
  ];
  const pipeline = createEnrichmentPipeline({ enrichers, resolver: new MemoryEntityResolver(), logger });
  const trace = await pipeline.enrich(oneTrace());
  t.same(ran, ['first', 'after']);
  t.same(trace.failures, ['broken', 'asyncBroken']);
  t.same(pipeline.stats().failures, { broken: 1, asyncBroken: 1 });
  t.equal(lines.length, 2);
  t.same(lines.map((l) => l.enricher), ['broken', 'asyncBroken']);
  t.equal(lines[0].traceId, trace.traceId);
  t.equal((lines[0].err as { message: string }).message, 'boom');
});

t.test('repeated failures of one enricher log once per interval and count every time', async (t) => {
  const { logger, lines } = captureLogger();
  const enrichers: Enricher[] = [{ name: 'broken', dependsOn: [], enrich: () => { throw new Error('boom'); } }];
  const pipeline = createEnrichmentPipeline({ enrichers, resolver: new MemoryEntityResolver(), logger, failureLogIntervalMs: 60_000 });
  for (let k = 0; k < 5; k++) await pipeline.enrich(oneTrace());
  t.equal(pipeline.stats().failures.broken, 5);
  t.equal(lines.length, 1);
  t.equal(pipeline.stats().traces, 5);
  t.equal(pipeline.stats().spans, 10);
});

t.test('a resolver that answers with promises gives the same enrichment as a synchronous one', async (t) => {
  const memory = new MemoryEntityResolver();
  let asked = 0;
  const slow: EntityResolver = {
    resolve: async (r: EntityRequest): Promise<Entity> => {
      asked++;
      await new Promise((resolve) => setImmediate(resolve));
      return memory.resolve(r);
    },
    find: async (tenant, id) => memory.find(tenant, id),
  };
  const specs: SpanSpec[] = [
    { id: 'root', service: 'web', kind: 'SERVER', attrs: { 'http.method': 'GET', 'http.target': '/users/42' } },
    { id: 'db', parent: 'root', service: 'web', kind: 'CLIENT', attrs: { 'db.system': 'postgresql', 'net.peer.name': 'pg', 'net.peer.port': '5432' } },
  ];
  const viaPromises = await enrich(specs, { resolver: slow });
  const direct = await enrich(specs);
  t.ok(asked > 0, 'the async resolver was used');
  t.same(viaPromises.trace.failures, []);
  t.same(viaPromises.trace.enriched, direct.trace.enriched);
  t.same(viaPromises.trace.entities.map((e) => e.id), direct.trace.entities.map((e) => e.id));
});

t.test('before any enricher runs every column holds its default', async (t) => {
  const pipeline = createEnrichmentPipeline({ enrichers: [], resolver: new MemoryEntityResolver() });
  const trace = await pipeline.enrich(oneTrace());
  t.same(trace.enriched.spanType, ['UNKNOWN', 'UNKNOWN']);
  t.same([...trace.enriched.apiNode], [-1, -1]);
  t.same(trace.enriched.backend, [null, null]);
  t.same(trace.apiNodes, []);
  t.equal(trace.summary.headSpan, -1);
  t.equal(trace.spans.length, 2, 'the assembled trace is carried over');
});

t.test('a resolver with a batch form gets one batch per entity kind per trace', async (t) => {
  const memory = new MemoryEntityResolver();
  const batches: string[][] = [];
  const batching: EntityResolver = {
    resolve: () => {
      throw new Error('resolve should not be called when resolveAll exists');
    },
    resolveAll: (requests) => {
      batches.push(requests.map((r) => r.type));
      return requests.map((r) => memory.resolve(r));
    },
    find: (tenant, id) => memory.find(tenant, id),
  };
  const { trace } = await enrich(
    [
      { id: 'in', kind: 'SERVER', service: 'web', attrs: { 'http.route': '/a' } },
      { id: 'db', parent: 'in', kind: 'CLIENT', service: 'web', attrs: { 'db.system': 'redis', 'net.peer.name': 'cache' } },
      { id: 'call', parent: 'in', kind: 'CLIENT', service: 'web' },
      { id: 'other', parent: 'call', kind: 'SERVER', service: 'users', attrs: { 'http.route': '/b' } },
    ],
    { resolver: batching },
  );
  t.same(trace.failures, []);
  t.same(batches, [['SERVICE', 'SERVICE'], ['API', 'API'], ['BACKEND']]);
});

t.test('enrichNow answers without a promise when no enricher waits, with what enrich gives', async (t) => {
  const specs: SpanSpec[] = [
    { id: 'root', service: 'web', kind: 'SERVER', attrs: { 'http.method': 'GET', 'http.target': '/users/42' } },
    { id: 'db', parent: 'root', service: 'web', kind: 'CLIENT', attrs: { 'db.system': 'postgresql', 'net.peer.name': 'pg' } },
  ];
  const { createDefaultEnrichment } = await import('../../src/enrich/defaults.ts');
  const pipeline = createDefaultEnrichment({ resolver: new MemoryEntityResolver() });
  const now = pipeline.enrichNow(assembleTrace(buildSpans(specs)));
  t.notOk(now instanceof Promise, 'a plain enriched trace');
  const later = await pipeline.enrich(assembleTrace(buildSpans(specs)));
  t.same(now, later);
  t.equal(pipeline.stats().traces, 2, 'both counted');
});

t.test('enrichNow waits for an enricher that returns a promise, and the ones after it still run in order', async (t) => {
  const { logger, lines } = captureLogger();
  const ran: string[] = [];
  const enrichers: Enricher[] = [
    { name: 'first', dependsOn: [], enrich: () => void ran.push('first') },
    { name: 'waits', dependsOn: ['first'], enrich: async () => { await new Promise((r) => setImmediate(r)); ran.push('waits'); } },
    { name: 'rejects', dependsOn: ['waits'], enrich: async () => { throw new Error('later boom'); } },
    { name: 'throws', dependsOn: ['rejects'], enrich: () => { throw new Error('boom'); } },
    { name: 'last', dependsOn: ['throws'], enrich: () => void ran.push('last') },
  ];
  const pipeline = createEnrichmentPipeline({ enrichers, resolver: new MemoryEntityResolver(), logger });
  const pending = pipeline.enrichNow(oneTrace());
  t.ok(pending instanceof Promise, 'a promise once an enricher waits');
  t.same(ran, ['first'], 'nothing after the waiting enricher ran yet');
  const trace = await pending;
  t.same(ran, ['first', 'waits', 'last']);
  t.same(trace.failures, ['rejects', 'throws']);
  t.same(lines.map((l) => l.enricher), ['rejects', 'throws']);
  t.same(pipeline.stats(), { traces: 1, spans: 2, failures: { rejects: 1, throws: 1 } });
});
