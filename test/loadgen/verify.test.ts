import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import { EXIT_OK, EXIT_USAGE, EXIT_VERIFY_FAILED, runLoadgenConfig } from '../../src/loadgen/loadgen.ts';
import { Manifest } from '../../src/loadgen/manifest.ts';
import { compileOptions, type RawFlags } from '../../src/loadgen/options.ts';
import { checkTraces } from '../../src/loadgen/verify.ts';
import { startFakeGraphql } from './fixtures/fake-graphql.ts';
import { type SinkOptions, startHttpSink } from './fixtures/sinks.ts';

const SEED = '31';

let manifests = '';
t.before(() => {
  manifests = mkdtempSync(join(tmpdir(), 'loadgen-manifests-'));
});
t.teardown(() => rmSync(manifests, { recursive: true, force: true }));
let runs = 0;

async function loadgen(flags: RawFlags) {
  const lines: string[] = [];
  // Verifying runs leave a manifest behind: keep them in a directory the test removes.
  const withManifest = flags.verify !== undefined && flags.manifest === undefined && flags['verify-only'] === undefined
    ? { ...flags, manifest: join(manifests, `run-${++runs}.jsonl`) }
    : flags;
  const outcome = await runLoadgenConfig(compileOptions(withManifest, false), { progress: () => {}, info: (l) => lines.push(l) });
  return { ...outcome, lines };
}

async function fakeNode(t: Test, opts: SinkOptions = {}) {
  const sink = await startHttpSink(t, opts);
  const graphql = await startFakeGraphql(t, sink.received);
  return { sink, graphql };
}

const flags = (endpoint: string, verify: string, more: RawFlags = {}): RawFlags => ({
  endpoint, verify, rate: '1500', duration: '1s', seed: SEED, 'verify-settle': '0s', 'verify-timeout': '1500ms', ...more,
});

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'loadgen-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('--verify passes when every acknowledged trace is stored whole', async (t) => {
  const { sink, graphql } = await fakeNode(t);
  const out = await loadgen(flags(sink.url, graphql.url));
  t.equal(out.exitCode, EXIT_OK);
  t.ok(out.verify?.ok);
  t.equal(out.verify?.checked, out.report?.traces, 'every generated trace was checked');
  t.ok(graphql.queries > 0, 'the store was asked');
  const written = await Manifest.read(out.report!.manifest!);
  t.equal(written.records.length, out.report!.traces, 'the manifest lists every generated trace');
  t.ok(written.records.every((r) => r.services.length > 0 && r.spans > 0), 'with its span count and services');
});

t.test('--verify detects a trace deliberately withheld', async (t) => {
  // The seed fixes the trace ids: the fifth trace the run will generate is the one to lose.
  const gen = new TraceGenerator({ seed: Number(SEED) });
  const ids = Array.from({ length: 5 }, () => gen.next(0).traceId);
  const withheld = ids[4];
  const { sink, graphql } = await fakeNode(t, { withhold: (id) => id === withheld });
  const out = await loadgen(flags(sink.url, graphql.url));
  t.equal(out.exitCode, EXIT_VERIFY_FAILED);
  t.same(out.verify?.lost.map((p) => p.traceId), [withheld], 'exactly the withheld trace is reported lost');
  t.same([out.verify?.split.length, out.verify?.incomplete.length, out.verify?.excess.length], [0, 0, 0]);
  t.ok(out.lines.some((l) => l.startsWith('verify:')), 'verify reported its passes');
});

t.test('split, incomplete and excess traces are told apart', async (t) => {
  const { sink } = await fakeNode(t);
  const manifest = new Manifest();
  const gen = new TraceGenerator({ seed: 2 });
  const traces = Array.from({ length: 5 }, (_, i) => gen.next(1_750_000_000_000_000 + i));
  for (const tr of traces) manifest.add(tr);
  for (const r of manifest.records) r.acked = r.spans;
  const [whole, lost, split, short, extra] = manifest.records;
  const graphql = await startFakeGraphql(t, sink.received, (id) => {
    if (id === whole.traceId) return [whole.spans];
    if (id === split.traceId) return [split.spans - 1, 1];
    if (id === short.traceId) return [short.spans - 1];
    if (id === extra.traceId) return [extra.spans + 1];
    return [];
  });
  const report = await checkTraces(manifest.records, { graphqlUrl: graphql.url, tenant: null, chunk: 2, requestTimeoutMs: 5_000 });
  t.same(report.lost.map((p) => p.traceId), [lost.traceId]);
  t.same(report.split.map((p) => [p.traceId, p.found]), [[split.traceId, [split.spans - 1, 1]]]);
  t.same(report.incomplete.map((p) => p.traceId), [short.traceId]);
  t.same(report.excess.map((p) => p.traceId), [extra.traceId]);
  t.equal(report.ok, false);
});

t.test('a manifest written by one run is verified later with --verify-only', async (t) => {
  const { sink, graphql } = await fakeNode(t);
  const path = join(tempDir(t), 'manifest.jsonl');
  const first = await loadgen({ endpoint: sink.url, rate: '1000', duration: '500ms', seed: SEED, manifest: path });
  t.equal(first.exitCode, EXIT_OK);
  const manifest = await Manifest.read(path);
  t.equal(manifest.records.length, first.report?.traces);
  const later = await loadgen({ verify: graphql.url, 'verify-only': path, 'verify-timeout': '0s' });
  t.equal(later.exitCode, EXIT_OK);
  t.equal(later.verify?.checked, manifest.records.length);
  t.equal(later.report, null, 'no load was generated');
  sink.received.traces.delete(manifest.records[0].traceId);
  const afterLoss = await loadgen({ verify: graphql.url, 'verify-only': path, 'verify-timeout': '0s' });
  t.equal(afterLoss.exitCode, EXIT_VERIFY_FAILED, 'a trace dropped from the store later is caught');
});

t.test('traces that were not fully acknowledged are left out of the check', async (t) => {
  const { sink, graphql } = await fakeNode(t, { answer: (n) => (n === 1 ? { status: 400 } : null) });
  const out = await loadgen(flags(sink.url, graphql.url));
  t.ok(out.report!.spans.rejected > 0, 'one request was refused');
  t.ok(out.verify!.notAcknowledged > 0, 'its traces were not checked');
  t.equal(out.verify!.checked + out.verify!.notAcknowledged, out.report!.traces);
  t.equal(out.exitCode, EXIT_OK, 'what the receiver refused is not a loss');
});

t.test('a GraphQL endpoint that does not answer is an error, not a pass', async (t) => {
  const { sink, graphql } = await fakeNode(t);
  const dead = graphql.url.replace(/:\d+\//, ':1/');
  const out = await loadgen(flags(sink.url, dead));
  t.equal(out.exitCode, EXIT_USAGE);
  t.ok(out.lines.some((l) => l.includes('UNAVAILABLE')), 'the failure is reported with its code');
});
