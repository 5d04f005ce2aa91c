// The DuckDB store thread in a process of its own, started both ways Tessera runs: with
// `--import=tsx` (as tap runs tests) and with tsx registered by code (as bin/tessera.js does),
// where the worker has to register tsx itself. Either way close() must leave nothing running:
// the process ends by itself once its work is done.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = join(ROOT, 'test/fixtures/store-thread-child.ts');
/**
 * Far above the few seconds the child needs, and below close()'s own 60 s before it terminates
 * the thread: reaching it means the thread did not end when closed.
 */
const EXIT_DEADLINE_MS = 30_000;

async function runChild(t: Tap, args: string[]): Promise<{ code: number | null; out: string; timedOut: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-thread-proc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // No NODE_OPTIONS from the test runner: the child gets only the loader its mode says.
  const child = spawn(process.execPath, [...args, join(dir, 'tessera.duckdb')], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, EXIT_DEADLINE_MS);
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  clearTimeout(timer);
  return { code, out, timedOut };
}

type Tap = { teardown(fn: () => unknown): void };

const last = (out: string): unknown => JSON.parse(out.trim().split('\n').pop() ?? 'null');

t.test('with --import=tsx the thread starts, serves, and close() lets the process end', async (t) => {
  const r = await runChild(t, ['--import=tsx', CHILD]);
  t.notOk(r.timedOut, 'the process ended by itself');
  t.equal(r.code, 0, r.out);
  t.same(last(r.out), { traces: 2, services: 1, tsxFlag: true });
});

t.test('with tsx registered by code, as bin/tessera.js does, the worker loads it itself', async (t) => {
  const r = await runChild(t, [CHILD.replace(/\.ts$/, '.js')]);
  t.notOk(r.timedOut, 'the process ended by itself');
  t.equal(r.code, 0, r.out);
  t.same(last(r.out), { traces: 2, services: 1, tsxFlag: false });
});
