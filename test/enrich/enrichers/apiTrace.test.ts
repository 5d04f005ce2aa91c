import t from 'tap';
import { apiBoundaryEnricher } from '../../../src/enrich/enrichers/apiBoundary.ts';
import { apiTraceEnricher } from '../../../src/enrich/enrichers/apiTrace.ts';
import { spanTypeEnricher } from '../../../src/enrich/enrichers/spanType.ts';
import type { SpanKind } from '../../../src/model/span.ts';
import { enrich } from '../build.ts';
import type { Built, SpanSpec } from '../build.ts';

const graph = (specs: SpanSpec[]) => enrich(specs, { enrichers: [spanTypeEnricher, apiBoundaryEnricher, apiTraceEnricher] });

const nodesOf = (b: Built) => b.trace.apiNodes.map((n) => ({ entry: n.entry === -1 ? null : b.labels([n.entry])[0], spans: b.labels(n.spans) }));
const edgesOf = (b: Built) => b.trace.apiEdges.map((e) => `${e.kind} ${b.labels([e.fromSpan])[0]}->${b.labels([e.toSpan])[0]}`);

t.test('a call from one service to another makes two nodes and one exit-to-entry edge', async (t) => {
  const b = await graph([
    { id: 'a.in', kind: 'SERVER', service: 'a' },
    { id: 'a.work', parent: 'a.in', service: 'a' },
    { id: 'a.out', parent: 'a.work', kind: 'CLIENT', service: 'a' },
    { id: 'b.in', parent: 'a.out', kind: 'SERVER', service: 'b' },
    { id: 'b.db', parent: 'b.in', kind: 'CLIENT', service: 'b' },
  ]);
  t.same(nodesOf(b), [
    { entry: 'a.in', spans: ['a.in', 'a.work', 'a.out'] },
    { entry: 'b.in', spans: ['b.in', 'b.db'] },
  ]);
  t.same(edgesOf(b), ['EXIT_ENTRY a.out->b.in']);
  t.same(b.labels(b.trace.entriesWithoutIncoming), ['a.in']);
  t.same(b.labels(b.trace.exitsWithoutOutgoing), ['b.db'], 'the database call is a backend call');
  const { apiNode, apiEntry } = b.trace.enriched;
  t.same([apiNode[b.at('a.work')], apiNode[b.at('b.db')]], [0, 1]);
  t.same(b.labels([apiEntry[b.at('b.db')]]), ['b.in'], 'every span knows its API trace entry');
});

t.test('exit spans know the entry span their call lands on, through wrapping client spans', async (t) => {
  const b = await graph([
    { id: 'in', kind: 'SERVER', service: 'a' },
    { id: 'sdk', parent: 'in', kind: 'CLIENT', service: 'a' },
    { id: 'http', parent: 'sdk', kind: 'CLIENT', service: 'a' },
    { id: 'remote', parent: 'http', kind: 'SERVER', service: 'b' },
    { id: 'db', parent: 'remote', kind: 'CLIENT', service: 'b' },
  ]);
  const callee = (label: string) => {
    const i = b.trace.enriched.calleeEntry[b.at(label)];
    return i === -1 ? null : b.labels([i])[0];
  };
  t.same([callee('http'), callee('sdk'), callee('db'), callee('in')], ['remote', 'remote', null, null]);
});

t.test('a proxy that emits only entry spans is linked entry to entry', async (t) => {
  const b = await graph([
    { id: 'mesh', kind: 'SERVER', service: 'istio-ingress' },
    { id: 'app', parent: 'mesh', kind: 'SERVER', service: 'orders' },
  ]);
  t.same(edgesOf(b), ['ENTRY_ENTRY mesh->app']);
  t.same(b.labels(b.trace.entriesWithoutIncoming), ['mesh']);
});

t.test('an entry whose parent is missing starts a node with no incoming edge', async (t) => {
  const b = await graph([
    { id: 'orphan', parent: 'lost', kind: 'SERVER', service: 'b' },
    { id: 'call', parent: 'orphan', kind: 'CLIENT', service: 'b' },
  ]);
  t.equal(b.trace.partial, true);
  t.same(nodesOf(b), [{ entry: 'orphan', spans: ['orphan', 'call'] }]);
  t.same(b.labels(b.trace.entriesWithoutIncoming), ['orphan']);
});

t.test('a client-only root heads a node without an entry span and still links to what it calls', async (t) => {
  const b = await graph([
    { id: 'job', service: 'cron' },
    { id: 'call', parent: 'job', kind: 'CLIENT', service: 'cron' },
    { id: 'served', parent: 'call', kind: 'SERVER', service: 'billing' },
    { id: 'exitRoot', kind: 'CLIENT', service: 'cli', at: 100 },
  ]);
  t.same(nodesOf(b), [
    { entry: 'served', spans: ['served'] },
    { entry: null, spans: ['job', 'call'] },
    { entry: null, spans: ['exitRoot'] },
  ]);
  t.same(edgesOf(b), ['EXIT_ENTRY call->served']);
  t.same(b.labels(b.trace.exitsWithoutOutgoing), ['exitRoot']);
  t.equal(b.trace.enriched.apiEntry[b.at('job')], -1);
});

t.test('a span under an exit that also calls an entry joins the exit\'s node', async (t) => {
  const b = await graph([
    { id: 'in', kind: 'SERVER', service: 'a' },
    { id: 'out', parent: 'in', kind: 'CLIENT', service: 'a' },
    { id: 'retry', parent: 'out', service: 'a' },
    { id: 'remote', parent: 'out', kind: 'SERVER', service: 'b' },
  ]);
  t.same(nodesOf(b), [
    { entry: 'in', spans: ['in', 'out', 'retry'] },
    { entry: 'remote', spans: ['remote'] },
  ]);
});

t.test('in random trees every span is in exactly one node and the columns agree with the nodes', async (t) => {
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  const kinds: SpanKind[] = ['SERVER', 'CLIENT', 'INTERNAL', 'PRODUCER', 'CONSUMER', 'UNSPECIFIED'];
  for (let round = 0; round < 40; round++) {
    const n = 2 + rand(40);
    const specs: SpanSpec[] = [];
    for (let k = 0; k < n; k++) {
      const parent = k === 0 || rand(8) === 0 ? (rand(2) === 0 ? undefined : `missing${k}`) : `s${rand(k)}`;
      specs.push({ id: `s${k}`, parent, kind: kinds[rand(kinds.length)], service: `svc${rand(3)}` });
    }
    const b = await graph(specs);
    const seen = new Uint8Array(n);
    b.trace.apiNodes.forEach((node, k) => {
      for (const i of node.spans) {
        seen[i]++;
        if (b.trace.enriched.apiNode[i] !== k) t.fail(`round ${round}: span ${i} column says node ${b.trace.enriched.apiNode[i]}, not ${k}`);
      }
    });
    const bad = [...seen].filter((c) => c !== 1).length;
    if (bad > 0) t.fail(`round ${round}: ${bad} spans not in exactly one node`);
    for (const e of b.trace.apiEdges) {
      if (b.trace.enriched.apiBoundary[e.toSpan] !== 'ENTRY') t.fail(`round ${round}: an edge ends on a non-entry span`);
    }
  }
  t.pass('checked 40 random trees');
});
