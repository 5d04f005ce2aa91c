// Starts Tessera nodes for tests: in-process (startNode) or as a real `tessera start` process.
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { compileOptions, type NodeOptions } from '../../src/config/options.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { waitFor } from './wait.ts';

type Tap = { teardown(fn: () => unknown): void };

export interface TestNode {
  node: RunningNode;
  graphql: string;
  otlpHttp: string;
  zipkin: string;
  otlpGrpc: string;
  jaegerGrpc: string;
  base: string;
  dataDir: string;
}

export function tempDir(t: Tap, prefix = 'tessera-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const PORT_FLAGS = { httpPort: '0', otlpGrpcPort: '0', otlpHttpPort: '0', zipkinPort: '0', jaegerGrpcPort: '0' };

/** An in-process node on free loopback ports with its own data directory. */
export async function startTestNode(t: Tap, flags: Partial<Record<keyof NodeOptions, string>> = {}): Promise<TestNode> {
  const dataDir = flags.dataDir ?? join(tempDir(t), 'data');
  const opts = compileOptions({ host: '127.0.0.1', windowMs: '300', logLevel: 'warn', ...PORT_FLAGS, ...flags, dataDir }, {});
  const node = await startNode(opts, pino({ level: opts.logLevel }));
  t.teardown(() => node.stop());
  const base = `http://127.0.0.1:${node.ports.http}`;
  return {
    node,
    base,
    dataDir,
    graphql: `${base}/graphql`,
    otlpHttp: `http://127.0.0.1:${node.ports.otlpHttp}/v1/traces`,
    zipkin: `http://127.0.0.1:${node.ports.zipkin}/api/v2/spans`,
    otlpGrpc: `127.0.0.1:${node.ports.otlpGrpc}`,
    jaegerGrpc: `127.0.0.1:${node.ports.jaegerGrpc}`,
  };
}

export interface NodeProcess {
  child: ChildProcess;
  logFile: string;
  ports: { http: number; otlpGrpc: number; otlpHttp: number; zipkin: number; jaegerGrpc: number };
  graphql: string;
  otlpHttp: string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

const BIN = resolve(import.meta.dirname, '../../bin/tessera.js');

/** A real `tessera start` process; resolves once it logged its bound ports and /readyz answers. */
export async function spawnNodeProcess(t: Tap, args: string[], logFile: string): Promise<NodeProcess> {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, 'start', '--host', '127.0.0.1', '--http-port', '0', '--otlp-grpc-port', '0',
    '--otlp-http-port', '0', '--zipkin-port', '0', '--jaeger-grpc-port', '0', ...args], { stdio: ['ignore', out, out] });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let done = false;
  exited.then(() => (done = true));
  t.teardown(() => {
    if (!done) child.kill('SIGKILL');
  });
  const ports = await waitFor(() => {
    if (done) throw new Error(`tessera exited early; log:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('tessera node ready'));
    if (lines.length === 0) return undefined;
    return JSON.parse(lines[lines.length - 1]).ports as NodeProcess['ports'];
  }, { timeoutMs: 60_000, what: 'the node to log its ports' });
  return {
    child,
    logFile,
    ports,
    graphql: `http://127.0.0.1:${ports.http}/graphql`,
    otlpHttp: `http://127.0.0.1:${ports.otlpHttp}/v1/traces`,
    exited,
    kill: (signal) => child.kill(signal),
  };
}
