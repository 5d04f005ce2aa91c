// A `tessera start` process for end-to-end benchmarks: started through bin/tessera.js on free
// loopback ports, its bound ports read from its JSON log, its memory and CPU read from /proc.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../bin/tessera.js');
/**
 * Node.js flags for the node process: those `npm start` and bin/tessera.js's shebang give it,
 * then any extra from TESSERA_BENCH_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
const NODE_FLAGS = ['--min-semi-space-size=64', '--max-semi-space-size=64', ...(process.env.TESSERA_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')];

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  graphql: string;
  otlpHttp: string;
  otlpGrpc: string;
  logFile: string;
  stop(): Promise<void>;
}

export async function startNode(extraArgs: string[]): Promise<NodeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-node-'));
  const logFile = join(dir, 'node.log');
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...NODE_FLAGS, BIN, 'start', '--data-dir', join(dir, 'data'), '--host', '127.0.0.1', '--http-port', '0',
    '--otlp-grpc-port', '0', '--otlp-http-port', '0', '--zipkin-port', '0', '--jaeger-grpc-port', '0', ...extraArgs],
  { stdio: ['ignore', out, out] });
  const deadline = Date.now() + 60_000;
  let ports: { http: number; otlpHttp: number; otlpGrpc: number } | undefined;
  while (ports === undefined) {
    if (child.exitCode !== null) throw new Error(`tessera exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('tessera did not log its ports within 60 s');
    const ready = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('tessera node ready'));
    if (ready !== undefined) ports = (JSON.parse(ready) as { ports: typeof ports }).ports;
    else await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child, pid: child.pid!, logFile,
    graphql: `http://127.0.0.1:${ports!.http}/graphql`,
    otlpHttp: `http://127.0.0.1:${ports!.otlpHttp}/v1/traces`,
    otlpGrpc: `http://127.0.0.1:${ports!.otlpGrpc}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resident and peak resident memory of a process, in bytes (Linux /proc). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** CPU seconds (user + system, all threads) a process has used so far (Linux /proc). */
export function cpuSecondsOf(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/stat`);
}

/** CPU seconds the process's main thread (the event loop: its thread id is the process id) has used so far. */
function mainThreadCpuSecondsOf(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`);
}

/** Starts measuring: the CPU seconds the process uses from now on, all threads and the main thread's. */
export function cpuMeter(pid: number): () => { all: number; main: number } {
  const all0 = cpuSecondsOf(pid);
  const main0 = mainThreadCpuSecondsOf(pid);
  return () => ({ all: cpuSecondsOf(pid) - all0, main: mainThreadCpuSecondsOf(pid) - main0 });
}

function cpuSecondsIn(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command name start at "state" (field 3): utime is 14, stime 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
