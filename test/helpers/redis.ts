// A private redis-server per test: a free loopback port, its own data directory, shut down by
// t.teardown. It never touches a Redis the user already runs (6379 is never used), and when
// redis-server is missing the test FAILS, loudly: Redis-backed tests never skip.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export interface StartRedisOptions {
  /** AOF with fsync on every write, so acknowledged writes survive a kill -9 of Redis. */
  durable?: boolean;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '2mb']. */
  args?: string[];
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** The data directory (AOF files live here when durable). */
  dir: string;
  /** Stops the server: SIGKILL by default (a crash), 'SIGTERM' for a clean shutdown. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING. */
  restart(): Promise<void>;
}

const REDIS_SERVER = 'redis-server';

function assertRedisInstalled(): void {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${REDIS_SERVER} is not on PATH (${probe.error?.message ?? probe.stderr}). Redis-backed tests never skip: ` +
        'install it (Debian: apt-get install -y redis-server) and run the tests again.',
    );
  }
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 6379 && port !== 0) return port;
  }
}

/** True once something on the port answers PING with +PONG. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

class RedisProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) => child.once('exit', (code) => ((exitCode = code), resolve())));
    child.once('error', () => undefined); // reported through 'exit' and the output below
    const deadline = performance.now() + 15_000;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      if (exitCode !== undefined) throw new Error(`redis-server on port ${this.port} exited (${exitCode}):\n${this.output}`);
      if (await pings(this.port)) return;
      if (performance.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer PING within 15 s:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await this.exited;
  }

  get running(): boolean {
    return this.child !== undefined;
  }
}

/** Starts a private redis-server for this test; it is stopped and its directory removed on teardown. */
export async function startRedis(t: Test, opts: StartRedisOptions = {}): Promise<PrivateRedis> {
  assertRedisInstalled();
  const dir = await mkdtemp(join(tmpdir(), 'tessera-redis-'));
  const persistence = opts.durable
    ? ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--save', '', '--appendonly', 'no'];
  const args = [...persistence, ...(opts.args ?? [])];
  let server: RedisProcess | undefined;
  // Another process may take the free port before redis-server binds it: try a few.
  for (let attempt = 1; server === undefined; attempt++) {
    const candidate = new RedisProcess(await freePort(), dir, args);
    try {
      await candidate.start();
      server = candidate;
    } catch (err) {
      await candidate.stop('SIGKILL');
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const running = server;
  t.teardown(async () => {
    await running.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return {
    url: `redis://127.0.0.1:${running.port}`,
    port: running.port,
    dir,
    stop: (signal: NodeJS.Signals = 'SIGKILL') => running.stop(signal),
    restart: async () => {
      await running.stop('SIGKILL');
      await running.start();
    },
  };
}
