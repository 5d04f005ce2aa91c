import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';
import { TesseraError } from '../../src/errors.ts';
import { compileOptions, parseDuration } from '../../src/loadgen/options.ts';
import { startHttpSink } from './fixtures/sinks.ts';

const BIN = resolve(import.meta.dirname, '../../bin/tessera.js');

function tessera(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'loadgen', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

t.test('tessera loadgen --json prints the final report the issue asks for', async (t) => {
  const sink = await startHttpSink(t);
  const run = await tessera(['--endpoint', sink.url, '--rate', '2000', '--duration', '1s', '--seed', '3', '--tenant', 'acme', '--json']);
  t.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  t.equal(report.seed, 3);
  t.equal(report.spans.acknowledged, sink.received.spanCount, 'acknowledged = what the receiver got');
  t.equal(report.spans.sent, report.spans.acknowledged);
  for (const key of ['rejected', 'failed']) t.equal(report.spans[key], 0, `spans.${key}`);
  t.equal(report.requests.retried, 0);
  t.ok(report.achieved.spansPerSec > 1_500 && report.achieved.spansPerSec < 2_500, `achieved ${report.achieved.spansPerSec}`);
  t.ok(report.exportLatencyMs.p50 > 0 && report.exportLatencyMs.p99 >= report.exportLatencyMs.p50, 'export latency p50 ≤ p99');
});

t.test('a progress line is printed every second when asked', async (t) => {
  const sink = await startHttpSink(t);
  const run = await tessera(['--endpoint', sink.url, '--rate', '500', '--duration', '2500ms', '--progress']);
  t.equal(run.code, 0, run.stderr);
  const lines = run.stderr.split('\n').filter((l) => /spans\/s\s+acked [\d,]+\s+rejected \d+\s+retried \d+\s+failed \d+\s+in flight \d+/.test(l));
  t.ok(lines.length >= 2, `${lines.length} progress lines`);
  t.match(run.stdout, /acknowledged/, 'then the text report');
});

t.test('bad flags exit with code 2 and name the flag', async (t) => {
  const run = await tessera(['--duration', 'soon']);
  t.equal(run.code, 2);
  t.match(run.stderr, /--duration/);
  const none = await tessera(['--endpoint', 'http://127.0.0.1:1', '--duration', '300ms', '--max-retries', '0', '--rate', '500']);
  t.equal(none.code, 3, 'nothing acknowledged: exit code 3');
});

t.test('durations read as the flags document them', async (t) => {
  t.equal(parseDuration('duration', '30s'), 30_000);
  t.equal(parseDuration('duration', '250ms'), 250);
  t.equal(parseDuration('duration', '2m'), 120_000);
  t.equal(parseDuration('duration', '1.5'), 1_500);
  t.throws(() => parseDuration('duration', '-1s'));
});

t.test('flags compile into one validated configuration', async (t) => {
  const cfg = compileOptions({ protocol: 'otlp-grpc', endpoint: '127.0.0.1:4317', rate: '5000', 'rate-unit': 'traces', 'late-spans': '0.1', seed: 'abc' }, false);
  t.equal(cfg.endpoint, 'http://127.0.0.1:4317', 'a bare gRPC host:port gets a scheme');
  t.equal(cfg.run.rateUnit, 'traces');
  t.equal(cfg.run.faults.lateFraction, 0.1);
  t.equal(cfg.run.generator.seed, 'abc');
  t.equal(cfg.run.keepManifest, false, 'no manifest kept unless verify or manifest asks for it');
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return err instanceof TesseraError ? err.code : 'not a TesseraError';
    }
    return undefined;
  };
  t.equal(codeOf(() => compileOptions({ protocol: 'carrier-pigeon' }, false)), 'CONFIG');
  t.equal(codeOf(() => compileOptions({ 'error-rate': '1.5' }, false)), 'CONFIG');
  t.equal(codeOf(() => compileOptions({ 'verify-only': 'm.jsonl' }, false)), 'CONFIG');
  t.equal(codeOf(() => compileOptions({ verify: 'not a url' }, false)), 'CONFIG');
});
