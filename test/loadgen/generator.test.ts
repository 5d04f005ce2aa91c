import t from 'tap';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import type { GenTrace } from '../../src/loadgen/model.ts';
import { buildTopology } from '../../src/loadgen/topology.ts';

const T0 = 1_750_000_000_000_000;
const clock = (i: number): number => T0 + i * 1_000;

function traces(gen: TraceGenerator, n: number): GenTrace[] {
  return Array.from({ length: n }, (_, i) => gen.next(clock(i)));
}

/** Depth of service-to-service nesting: entry spans (SERVER/CONSUMER) on the path from the root. */
function entryDepth(trace: GenTrace): number {
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  let deepest = 0;
  for (const s of trace.spans) {
    let depth = 0;
    for (let cur: typeof s | undefined = s; cur !== undefined; cur = byId.get(cur.parentSpanId)) {
      if (cur.kind === 2 || cur.kind === 5) depth++;
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

t.test('the same seed gives the same traces', async (t) => {
  const a = traces(new TraceGenerator({ seed: 'same' }), 300);
  const b = traces(new TraceGenerator({ seed: 'same' }), 300);
  t.same(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
  const c = traces(new TraceGenerator({ seed: 'other' }), 300);
  t.not(JSON.stringify(a.map((x) => x.traceId)), JSON.stringify(c.map((x) => x.traceId)), 'another seed, other traces');
});

t.test('every trace is one well-formed tree that ends at the given clock', async (t) => {
  const gen = new TraceGenerator({ seed: 3 });
  for (let i = 0; i < 300; i++) {
    const trace = gen.next(clock(i));
    const ids = new Set(trace.spans.map((s) => s.spanId));
    t.equal(ids.size, trace.spans.length, 'span ids are unique');
    const roots = trace.spans.filter((s) => s.parentSpanId === '');
    t.equal(roots.length, 1, 'one root');
    for (const s of trace.spans) {
      if (s.parentSpanId !== '' && !ids.has(s.parentSpanId)) t.fail(`parent of ${s.spanId} missing`);
      if (!/^[0-9a-f]{32}$/.test(s.traceId) || !/^[0-9a-f]{16}$/.test(s.spanId)) t.fail('ids are lowercase hex');
      if (!Number.isInteger(s.startUs) || !Number.isInteger(s.endUs) || s.endUs < s.startUs) t.fail('times are ordered integers');
    }
    t.equal(trace.endUs, clock(i), 'the trace ends at the clock (no skew)');
    t.equal(trace.spans[trace.spans.length - 1], roots[0], 'the root is exported last');
  }
  t.end();
});

t.test('the default topology mixes protocols, conventions, route styles and every backend kind', async (t) => {
  const topo = buildTopology(11, { services: 8, apisPerService: 3 });
  t.equal(topo.services.length, 8);
  t.same(new Set(topo.services.map((s) => s.protocol)), new Set(['http', 'grpc']));
  t.same(new Set(topo.services.map((s) => s.convention)), new Set(['semconv-old', 'semconv-new', 'opentracing']));
  t.same(new Set(topo.services.map((s) => s.routeStyle)), new Set(['route', 'raw']));
  const called = new Set(topo.services.flatMap((s) => s.apis.flatMap((a) => a.calls.flatMap((c) => (c.type === 'backend' ? [c.backend.kind] : [])))));
  t.ok(called.size >= 5, `at least five backend kinds are called (${[...called].join(', ')})`);
  for (const svc of topo.services) {
    for (const api of svc.apis) {
      for (const call of api.calls) {
        if (call.type === 'service' && call.api.service.index <= svc.index) t.fail('services only call later services (a DAG)');
      }
    }
  }
});

t.test('depth bounds the chain of service calls', async (t) => {
  for (const depth of [1, 2, 4]) {
    const deepest = Math.max(...traces(new TraceGenerator({ seed: 5, depth }), 300).map(entryDepth));
    t.ok(deepest <= depth, `depth ${depth}: deepest chain ${deepest}`);
    if (depth > 1) t.ok(deepest > 1, `depth ${depth}: some trace goes deeper than one service`);
  }
});

t.test('a huge trace has exactly the requested number of spans', async (t) => {
  const gen = new TraceGenerator({ seed: 9 });
  for (const n of [1, 2, 10_000]) {
    const trace = gen.huge(T0, n);
    t.equal(trace.spans.length, n);
    t.equal(new Set(trace.spans.map((s) => s.spanId)).size, n);
    t.equal(trace.spans.filter((s) => s.parentSpanId === '').length, 1);
  }
});

t.test('clock skew moves each skewed service by a fixed offset within the bound', async (t) => {
  const skewUs = 200_000;
  const plain = traces(new TraceGenerator({ seed: 21 }), 50);
  const skewedGen = new TraceGenerator({ seed: 21, clockSkewUs: skewUs });
  const skewed = traces(skewedGen, 50);
  let moved = 0;
  for (let i = 0; i < plain.length; i++) {
    const base = skewed[i].spans[skewed[i].spans.length - 1].endUs - plain[i].spans[plain[i].spans.length - 1].endUs;
    plain[i].spans.forEach((s, j) => {
      const other = skewed[i].spans[j];
      const offset = other.startUs - s.startUs - base;
      const expected = skewedGen.skewOf(other.resource.id) - skewedGen.skewOf(skewed[i].spans[skewed[i].spans.length - 1].resource.id);
      if (offset !== expected) t.fail(`span ${j} of trace ${i} moved by ${offset}, expected ${expected}`);
      if (offset !== 0) moved++;
    });
  }
  const offsets = skewedGen.topology.services.map((s) => skewedGen.skewOf(s.index));
  t.ok(offsets.every((o) => Math.abs(o) <= skewUs), 'every offset is within the bound');
  t.ok(offsets.some((o) => o !== 0) && offsets.some((o) => o === 0), 'some services are skewed, some are not');
  t.ok(moved > 0, 'spans of skewed services moved');
});

t.test('spans are padded up to the requested attribute count', async (t) => {
  for (const attributes of [0, 12, 30]) {
    const all = traces(new TraceGenerator({ seed: 2, attributes }), 30).flatMap((tr) => tr.spans);
    const shortest = Math.min(...all.map((s) => s.attributes.length));
    t.ok(shortest >= Math.min(attributes, 6), `attributes ${attributes}: shortest span has ${shortest}`);
    if (attributes >= 12) t.ok(all.every((s) => s.attributes.length >= attributes), `every span has ≥ ${attributes}`);
    for (const s of all) {
      if (new Set(s.attributes.map((a) => a.key)).size !== s.attributes.length) t.fail(`duplicate key in ${s.name}`);
    }
  }
});

t.test('errors appear at about the requested rate, with exception events', async (t) => {
  const all = traces(new TraceGenerator({ seed: 4, errorRate: 0.1 }), 500).flatMap((tr) => tr.spans);
  const withException = all.filter((s) => s.events.some((e) => e.name === 'exception'));
  t.ok(withException.length > 0, 'some spans carry an exception event');
  t.ok(withException.every((s) => s.statusCode === 2), 'a span with an exception is an error');
  // Calls fail by themselves at 10 % (backends at half that); client spans never carry the event.
  const share = withException.length / all.length;
  t.ok(share > 0.025 && share < 0.15, `share of spans failing by themselves: ${share.toFixed(3)}`);
  const none = traces(new TraceGenerator({ seed: 4, errorRate: 0 }), 200).flatMap((tr) => tr.spans);
  t.equal(none.filter((s) => s.statusCode === 2).length, 0, 'error rate 0: no error');
});
