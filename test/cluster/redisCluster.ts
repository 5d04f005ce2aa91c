// A private 3-master Redis Cluster on loopback ports: three `redis-server --cluster-enabled
// yes` processes joined by `redis-cli --cluster create … --cluster-replicas 0`. Each port p
// also needs p + 10000 free (the cluster bus), so ports are drawn from 20000–29999.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { waitFor } from '../helpers/wait.ts';

const run = promisify(execFile);

function isFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

async function clusterPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    if (!out.includes(p) && await isFree(p) && await isFree(p + 10000)) out.push(p);
  }
  return out;
}

export interface PrivateRedisCluster {
  /** A URL of one master: Tessera finds the others. */
  url: string;
  ports: number[];
}

export async function startRedisCluster(t: Test, masters = 3): Promise<PrivateRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-redis-cluster-'));
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    await Promise.all(children.map((c) => new Promise<void>((res) => {
      if (c.exitCode !== null || c.signalCode !== null) return res();
      c.once('exit', () => res());
      c.kill('SIGKILL');
    })));
    await rm(dir, { recursive: true, force: true });
  });
  const ports = await clusterPorts(masters);
  for (const port of ports) {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'yes', '--appendfilename', `aof-${port}.aof`,
      '--appenddirname', `aof-${port}`, '--appendfsync', 'everysec'], { stdio: 'ignore' });
    child.once('error', () => undefined);
    children.push(child);
  }
  for (const port of ports) {
    await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG', { timeoutMs: 15_000, what: `redis-server on ${port}` });
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (const port of ports) {
    await waitFor(async () => /cluster_state:ok/.test((await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout),
      { timeoutMs: 30_000, what: `the cluster to be ok on ${port}` });
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports };
}
