// The loss detector against a real `tessera start` process: it passes when the node keeps
// everything, and catches a trace that a lossy hop in front of the node acknowledged and then
// dropped.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import { EXIT_OK, EXIT_VERIFY_FAILED, runLoadgenConfig } from '../../src/loadgen/loadgen.ts';
import { compileOptions, type RawFlags } from '../../src/loadgen/options.ts';
import { spawnNodeProcess, tempDir } from '../helpers/node.ts';

const SEED = 77;

async function node(t: Test) {
  const dir = tempDir(t, 'loadgen-node-');
  return spawnNodeProcess(t, ['--data-dir', join(dir, 'data'), '--window-ms', '500'], join(dir, 'node.log'));
}

/** Forwards OTLP/JSON to the node, but silently removes one trace's spans first. */
async function lossyProxy(t: Test, target: string, dropTraceId: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }>;
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) ss.spans = ss.spans.filter((s) => s.traceId !== dropTraceId);
      const answer = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
}

async function loadgen(t: Test, flags: RawFlags) {
  const info: string[] = [];
  const manifest = join(tempDir(t, 'loadgen-manifest-'), 'manifest.jsonl');
  const outcome = await runLoadgenConfig(compileOptions({
    rate: '1000', duration: '1s', seed: String(SEED), 'verify-settle': '1s', 'verify-timeout': '20s', manifest, ...flags,
  }, false), { progress: () => {}, info: (l) => info.push(l) });
  return { ...outcome, info };
}

t.test('--verify against a running node passes when nothing is lost, late and duplicate spans included', async (t) => {
  const n = await node(t);
  const out = await loadgen(t, { endpoint: n.otlpHttp, verify: n.graphql, 'late-spans': '0.1', 'late-after': '1500ms', duplicates: '0.05', freshness: true });
  t.equal(out.exitCode, EXIT_OK, JSON.stringify(out.verify && { lost: out.verify.lost.length, split: out.verify.split.slice(0, 3), incomplete: out.verify.incomplete.slice(0, 3) }));
  t.ok(out.verify!.checked > 0 && out.verify!.checked === out.report!.traces, `${out.verify!.checked} traces checked`);
  const f = out.report!.freshnessMs!;
  t.ok(f.samples > 0, `${f.samples} traces timed from sent to queryable`);
  t.ok(f.p50 >= 500, `freshness p50 ${f.p50} ms is at least the node's 500 ms assembly window`);
});

t.test('--verify detects a trace deliberately withheld in front of a running node', async (t) => {
  const n = await node(t);
  const gen = new TraceGenerator({ seed: SEED });
  const ids = Array.from({ length: 7 }, () => gen.next(0).traceId);
  const withheld = ids[6];
  const proxy = await lossyProxy(t, n.otlpHttp, withheld);
  const out = await loadgen(t, { endpoint: proxy, protocol: 'otlp-http-json', verify: n.graphql, 'verify-timeout': '15s' });
  t.equal(out.exitCode, EXIT_VERIFY_FAILED);
  t.same(out.verify?.lost.map((p) => p.traceId), [withheld], 'exactly the withheld trace is lost');
  t.equal(out.verify!.split.length + out.verify!.incomplete.length + out.verify!.excess.length, 0, 'nothing else is wrong');
});
