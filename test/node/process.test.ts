// `tessera` as a user runs it: a real process, its flags, its signals.
import t from 'tap';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnNodeProcess, startTestNode, tempDir } from '../helpers/node.ts';
import { waitFor } from '../helpers/wait.ts';
import { traceSpanCount } from '../helpers/graphql.ts';
import { otlpJson, postOtlpJson, randomHex } from '../helpers/otlpJson.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/tessera.js');
const FIXTURE = resolve(import.meta.dirname, '../fixtures/hotrod-jaeger-ui.json');
const HOUR = 3600_000;

t.test('tessera import sends a Jaeger-UI export to a running node', async (t) => {
  const dir = tempDir(t);
  const node = await spawnNodeProcess(t, ['--data-dir', join(dir, 'data'), '--window-ms', '200'], join(dir, 'node.log'));
  const { stdout } = await run(process.execPath, [BIN, 'import', FIXTURE, '--url', `http://127.0.0.1:${node.ports.http}`]);
  t.match(stdout, /50/, 'reports the spans it imported');
  const start = 1613406996000;
  t.equal(await waitFor(() => traceSpanCount(node.graphql, '383acc79e53b84da', start - HOUR, start + HOUR), { what: 'HotROD' }), 50);
});

t.test('SIGTERM writes the open traces before the process exits', async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, 'data');
  // The window is far longer than the test: only the shutdown drain can write this trace.
  const first = await spawnNodeProcess(t, ['--data-dir', dataDir, '--window-ms', '600000'], join(dir, 'a.log'));
  const traceId = randomHex(16);
  const now = Date.now();
  const res = await postOtlpJson(first.otlpHttp, otlpJson(traceId, [
    { service: 'a', spanId: randomHex(8), name: 'x', startMs: now, durMs: 2 },
    { service: 'a', spanId: randomHex(8), name: 'y', startMs: now, durMs: 1 },
  ]));
  t.equal(res.status, 200);
  t.equal(await traceSpanCount(first.graphql, traceId, now - HOUR, now + HOUR), undefined, 'still open before the signal');
  first.kill('SIGTERM');
  t.equal(await first.exited, 0, 'exits cleanly');
  const second = await spawnNodeProcess(t, ['--data-dir', dataDir, '--window-ms', '200'], join(dir, 'b.log'));
  t.equal(await traceSpanCount(second.graphql, traceId, now - HOUR, now + HOUR), 2, 'the drained trace is in the store');
});

t.test('over the span log bound the receiver answers 429 with Retry-After, and accepts again once drained', async (t) => {
  const n = await startTestNode(t, { maxBacklogSpans: '20', windowMs: '400' });
  const now = Date.now();
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 10; i++) {
    const spans = Array.from({ length: 5 }, () => ({ service: 's', spanId: randomHex(8), name: 'x', startMs: now, durMs: 1 }));
    const r = await postOtlpJson(n.otlpHttp, otlpJson(randomHex(16), spans));
    statuses.push(r.status);
    if (r.status === 429) retryAfter = r.headers.get('retry-after');
  }
  t.ok(statuses.includes(429), `some requests were refused: ${statuses.join(',')}`);
  t.ok(statuses.includes(200), 'the first ones were accepted');
  t.match(retryAfter, /^\d+$/, 'Retry-After is given in seconds');
  const traceId = randomHex(16);
  await waitFor(async () => {
    const r = await postOtlpJson(n.otlpHttp, otlpJson(traceId, [{ service: 's', spanId: randomHex(8), name: 'late', startMs: now, durMs: 1 }]));
    return r.status === 200;
  }, { what: 'the log to drain and accept again' });
  t.equal(await waitFor(() => traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR), { what: 'the accepted trace' }), 1);
});

t.test('a bad setting stops start-up with a message that names it', async (t) => {
  const err = await run(process.execPath, [BIN, 'start', '--window-ms', 'soon', '--http-port', '0'], { env: { ...process.env } }).catch((e) => e);
  t.equal(err.code, 2, 'exit code 2');
  t.match(err.stderr, /--window-ms/);
  const envErr = await run(process.execPath, [BIN, 'start', '--http-port', '0'], { env: { ...process.env, TESSERA_PARTITIONS: '0' } }).catch((e) => e);
  t.equal(envErr.code, 2);
  t.match(envErr.stderr, /TESSERA_PARTITIONS/);
});

t.test('SIGTERM under load writes every acknowledged span of the in-process log before exiting', async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, 'data');
  const first = await spawnNodeProcess(t, ['--data-dir', dataDir, '--window-ms', '2000'], join(dir, 'a.log'));
  const manifest = join(dir, 'manifest.jsonl');
  await run(process.execPath, [BIN, 'loadgen', '--endpoint', first.otlpHttp, '--rate', '0', '--duration', '2s', '--seed', '7', '--manifest', manifest]);
  first.kill('SIGTERM');
  t.equal(await first.exited, 0, 'exits cleanly after draining');
  const second = await spawnNodeProcess(t, ['--data-dir', dataDir, '--window-ms', '200'], join(dir, 'b.log'));
  const verify = await run(process.execPath, [BIN, 'loadgen', '--verify-only', manifest, '--verify', second.graphql, '--verify-settle', '0s', '--verify-timeout', '5s', '--json'])
    .catch((e) => e);
  const report = JSON.parse(verify.stdout);
  t.ok(report.verify.checked > 0, `checked ${report.verify.checked} traces`);
  t.same({ lost: report.verify.lost.length, split: report.verify.split.length, incomplete: report.verify.incomplete.length }, { lost: 0, split: 0, incomplete: 0 });
});
