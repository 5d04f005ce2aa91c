// A local Tessera cluster: N `tessera start` processes on free loopback ports, each with its
// own data directory and log file, against one Redis (given, or a private redis-server with
// AOF when `--redis local`) and one PostgreSQL. Used by the cluster tests (LocalCluster) and
// by the README demo (run it as a command: it prints the nodes' ports, then takes commands
// on stdin: list, add [ROLES], kill N, term N, pause N, resume N, restart N, quit).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ClusterSnapshot } from '../src/sharding/clusterView.ts';

const BIN = resolve(import.meta.dirname, '../bin/tessera.js');

export interface LaunchOptions {
  redis: string;
  /** Shared view store; without it every node keeps its own DuckDB (not one cluster for queries). */
  postgres?: string;
  nodes: number;
  /** Data directories and logs go here. Default: a new directory under the system temp dir. */
  baseDir?: string;
  partitions?: number;
  windowMs?: number;
  leaseTtlMs?: number;
  /** Any other `tessera start` flags, given to every node. */
  extraArgs?: string[];
  /** How long a node may take to log that it is ready. Default 60 s. */
  startTimeoutMs?: number;
}

export interface NodePorts {
  http: number;
  otlpGrpc: number;
  otlpHttp: number;
  zipkin: number;
  jaegerGrpc: number;
}

export interface ClusterNode {
  index: number;
  id: string;
  dataDir: string;
  logFile: string;
  ports: NodePorts;
  pid: number;
  graphql: string;
  otlpHttp: string;
  /** Base URL of the main HTTP port (/metrics, /cluster, /readyz). */
  base: string;
  running: boolean;
  exited: Promise<number | null>;
  /** This node's own extra flags. */
  args: string[];
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LocalCluster {
  readonly nodes: ClusterNode[] = [];
  private readonly children = new Map<number, ChildProcess>();
  readonly baseDir: string;

  constructor(readonly opts: LaunchOptions) {
    this.baseDir = opts.baseDir ?? join(tmpdir(), `tessera-cluster-${process.pid}-${Date.now()}`);
    mkdirSync(this.baseDir, { recursive: true });
  }

  /** Starts the configured number of nodes, together. */
  async start(): Promise<ClusterNode[]> {
    await Promise.all(Array.from({ length: this.opts.nodes }, () => this.add()));
    return this.nodes;
  }

  /**
   * Starts one more node; resolves once it is ready. `args` are extra `tessera start` flags for
   * this node only (kept across restarts), e.g. ['--roles', 'ingest'].
   */
  async add(args: string[] = []): Promise<ClusterNode> {
    const index = this.nodes.length;
    const node: ClusterNode = {
      index, id: `node-${index + 1}`, dataDir: join(this.baseDir, `node-${index + 1}`), logFile: join(this.baseDir, `node-${index + 1}.log`),
      ports: { http: 0, otlpGrpc: 0, otlpHttp: 0, zipkin: 0, jaegerGrpc: 0 }, pid: 0, graphql: '', otlpHttp: '', base: '', running: false,
      exited: Promise.resolve(null), args,
    };
    this.nodes.push(node);
    await this.launch(node);
    return node;
  }

  private args(node: ClusterNode, ports: NodePorts): string[] {
    const o = this.opts;
    const a = ['start', '--redis', o.redis, '--node-id', node.id, '--data-dir', node.dataDir, '--host', '127.0.0.1',
      '--http-port', String(ports.http), '--otlp-grpc-port', String(ports.otlpGrpc), '--otlp-http-port', String(ports.otlpHttp),
      '--zipkin-port', String(ports.zipkin), '--jaeger-grpc-port', String(ports.jaegerGrpc)];
    if (o.postgres) a.push('--postgres', o.postgres);
    if (o.partitions !== undefined) a.push('--partitions', String(o.partitions));
    if (o.windowMs !== undefined) a.push('--window-ms', String(o.windowMs));
    if (o.leaseTtlMs !== undefined) a.push('--lease-ttl-ms', String(o.leaseTtlMs));
    return [...a, ...(o.extraArgs ?? []), ...node.args];
  }

  /**
   * (Re)starts a node on the same ports (kept across restarts, so clients can reconnect). A free
   * port can be taken by another process before the node binds it: on a first start that fails
   * with EADDRINUSE, the node gets fresh ports and starts again.
   */
  private async launch(node: ClusterNode): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const fresh = node.ports.http === 0;
      if (fresh) {
        const [http, otlpGrpc, otlpHttp, zipkin, jaegerGrpc] = await Promise.all(Array.from({ length: 5 }, freePort));
        node.ports = { http, otlpGrpc, otlpHttp, zipkin, jaegerGrpc };
      }
      try {
        return await this.launchOnce(node);
      } catch (err) {
        if (!fresh || attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
        node.ports = { http: 0, otlpGrpc: 0, otlpHttp: 0, zipkin: 0, jaegerGrpc: 0 };
      }
    }
  }

  private async launchOnce(node: ClusterNode): Promise<void> {
    mkdirSync(node.dataDir, { recursive: true });
    const out = openSync(node.logFile, 'a');
    const skip = existsSync(node.logFile) ? readFileSync(node.logFile).length : 0;
    const child = spawn(process.execPath, [BIN, ...this.args(node, node.ports)], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.children.set(node.index, child);
    node.pid = child.pid ?? 0;
    node.running = true;
    node.exited = new Promise((res) => child.once('exit', (code) => {
      node.running = false;
      res(code);
    }));
    const base = `http://127.0.0.1:${node.ports.http}`;
    Object.assign(node, { base, graphql: `${base}/graphql`, otlpHttp: `http://127.0.0.1:${node.ports.otlpHttp}/v1/traces` });
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 60_000);
    for (;;) {
      const log = readFileSync(node.logFile).subarray(skip).toString('utf8');
      if (log.includes('tessera node ready')) return;
      if (!node.running) throw new Error(`${node.id} exited while starting; log:\n${log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${node.id} did not get ready; log:\n${log.slice(-3000)}`);
      await sleep(50);
    }
  }

  /** Sends a signal: SIGKILL (crash), SIGTERM (graceful leave), SIGSTOP / SIGCONT (pause). */
  signal(index: number, signal: NodeJS.Signals): void {
    const child = this.children.get(index);
    if (!child || !this.nodes[index].running) throw new Error(`node ${index + 1} is not running`);
    child.kill(signal);
  }

  /** kill -9; resolves once the process is gone. */
  async kill(index: number): Promise<void> {
    this.signal(index, 'SIGKILL');
    await this.nodes[index].exited;
  }

  /** SIGTERM; resolves with the exit code once the node has drained and left. */
  async terminate(index: number): Promise<number | null> {
    this.signal(index, 'SIGTERM');
    return this.nodes[index].exited;
  }

  async restart(index: number): Promise<void> {
    const node = this.nodes[index];
    if (node.running) await this.kill(index);
    await this.launch(node);
  }

  /** Stops every running node (SIGTERM, then SIGKILL after `graceMs`), resuming paused ones first. */
  async stopAll(graceMs = 20_000): Promise<void> {
    await Promise.all(this.nodes.filter((n) => n.running).map(async (n) => {
      const child = this.children.get(n.index)!;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await n.exited;
      clearTimeout(timer);
    }));
  }

  /** The cluster view of a node (GET /cluster). */
  async view(index: number): Promise<ClusterSnapshot> {
    const res = await fetch(`${this.nodes[index].base}/cluster`);
    if (!res.ok) throw new Error(`GET /cluster answered ${res.status}`);
    return (await res.json()) as ClusterSnapshot;
  }

  describe(): string {
    return this.nodes.map((n) => `${n.id}  ${n.running ? `pid ${n.pid}` : 'stopped'}  http ${n.ports.http}  otlp-http ${n.ports.otlpHttp}  `
      + `otlp-grpc ${n.ports.otlpGrpc}  zipkin ${n.ports.zipkin}  jaeger ${n.ports.jaegerGrpc}  log ${n.logFile}`).join('\n');
  }
}

/** `--redis local`: a private redis-server with AOF (appendfsync everysec) under the base dir. */
async function localRedis(dir: string): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' });
  child.once('error', (err) => process.stderr.write(`redis-server: ${err.message}\n`));
  await sleep(300);
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const num = (name: string) => (flag(argv, name) === undefined ? undefined : Number(flag(argv, name)));
  const base = flag(argv, 'base-dir');
  let redisUrl = flag(argv, 'redis');
  if (!redisUrl) throw new Error('usage: cluster/launch.ts --redis URL|local [--postgres URL] [--nodes 3] [--base-dir DIR] [--partitions P] [--window-ms MS] [--lease-ttl-ms MS]');
  const baseDir = base ?? join(tmpdir(), `tessera-cluster-${process.pid}-${Date.now()}`);
  let redis: { url: string; stop(): void } | undefined;
  if (redisUrl === 'local') {
    redis = await localRedis(join(baseDir, 'redis'));
    redisUrl = redis.url;
    process.stdout.write(`redis-server with AOF at ${redisUrl}\n`);
  }
  const cluster = new LocalCluster({ redis: redisUrl, nodes: num('nodes') ?? 3, baseDir, postgres: flag(argv, 'postgres'),
    partitions: num('partitions'), windowMs: num('window-ms'), leaseTtlMs: num('lease-ttl-ms') });
  await cluster.start();
  process.stdout.write(`${cluster.describe()}\ncommands: list | add [ROLES] | kill N | term N | pause N | resume N | restart N | quit\n`);
  const quit = async () => {
    await cluster.stopAll();
    redis?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void quit());
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, arg] = line.trim().split(/\s+/);
    const i = Number(arg) - 1;
    try {
      if (cmd === 'list') process.stdout.write(`${cluster.describe()}\n`);
      else if (cmd === 'add') process.stdout.write(`started ${(await cluster.add(arg ? ['--roles', arg] : [])).id}\n`);
      else if (cmd === 'kill') await cluster.kill(i);
      else if (cmd === 'term') process.stdout.write(`exit ${await cluster.terminate(i)}\n`);
      else if (cmd === 'pause') cluster.signal(i, 'SIGSTOP');
      else if (cmd === 'resume') cluster.signal(i, 'SIGCONT');
      else if (cmd === 'restart') await cluster.restart(i);
      else if (cmd === 'quit') break;
      else if (cmd) process.stdout.write(`unknown command ${cmd}\n`);
    } catch (err) {
      process.stdout.write(`${(err as Error).message}\n`);
    }
  }
  await quit();
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
