import t from 'tap';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';

const T0 = 1_700_000_000_000_000;

t.test('orders spans breadth-first from the root, siblings by start time', async (t) => {
  const root = makeSpan({ spanId: hexId(1), startUs: T0 });
  const late = makeSpan({ spanId: hexId(2), parentSpanId: hexId(1), startUs: T0 + 50 });
  const early = makeSpan({ spanId: hexId(3), parentSpanId: hexId(1), startUs: T0 + 10 });
  const grandchild = makeSpan({ spanId: hexId(4), parentSpanId: hexId(3), startUs: T0 + 20 });
  const trace = assembleTrace([grandchild, late, root, early]);
  t.same(trace.spans.map((s) => s.spanId), [hexId(1), hexId(3), hexId(2), hexId(4)]);
  t.same(trace.parent, [-1, 0, 0, 1]);
  t.same(trace.children, [[1, 2], [3], [], []]);
  t.same(trace.roots, [0]);
  t.equal(trace.partial, false);
  t.equal(trace.startUs, T0);
});

t.test('a parent id missing from the trace makes the span a root and the trace partial', async (t) => {
  const a = makeSpan({ spanId: hexId(1), parentSpanId: hexId(99), startUs: T0 + 5 });
  const b = makeSpan({ spanId: hexId(2), startUs: T0 });
  const c = makeSpan({ spanId: hexId(3), parentSpanId: hexId(1), startUs: T0 + 6 });
  const trace = assembleTrace([a, b, c]);
  t.equal(trace.partial, true);
  t.same(trace.missingSpanIds, [hexId(99)]);
  t.same(trace.roots.map((r) => trace.spans[r].spanId), [hexId(2), hexId(1)], 'roots by start time');
  t.same(trace.spans.map((s) => s.spanId), [hexId(2), hexId(1), hexId(3)]);
});

t.test('a duplicate span id is stored once', async (t) => {
  const root = makeSpan({ spanId: hexId(1) });
  const child = makeSpan({ spanId: hexId(2), parentSpanId: hexId(1) });
  const trace = assembleTrace([root, child, { ...child }, { ...root }]);
  t.equal(trace.spans.length, 2);
  t.same(trace.children[0], [1]);
});

t.test('a parent cycle is cut so that every span is kept', async (t) => {
  const a = makeSpan({ spanId: hexId(1), parentSpanId: hexId(2), startUs: T0 });
  const b = makeSpan({ spanId: hexId(2), parentSpanId: hexId(1), startUs: T0 + 1 });
  const self = makeSpan({ spanId: hexId(3), parentSpanId: hexId(3), startUs: T0 + 2 });
  const trace = assembleTrace([a, b, self]);
  t.equal(trace.spans.length, 3);
  t.same(trace.spans.map((s) => s.spanId), [hexId(3), hexId(1), hexId(2)], 'the self-parented span is a root; the cycle is cut at its earliest span');
  for (let i = 0; i < trace.spans.length; i++) {
    const p = trace.parent[i];
    t.ok(p < i, `span ${i}'s parent comes before it in BFS order`);
  }
  t.equal(trace.roots.length, 2);
});

t.test('trace bounds are the earliest start and the latest end', async (t) => {
  const a = makeSpan({ spanId: hexId(1), startUs: T0 + 10, endUs: T0 + 20 });
  const b = makeSpan({ spanId: hexId(2), parentSpanId: hexId(1), startUs: T0 + 5, endUs: T0 + 90 });
  const trace = assembleTrace([a, b], 3);
  t.equal(trace.startUs, T0 + 5);
  t.equal(trace.endUs, T0 + 90);
  t.equal(trace.revision, 3);
});
