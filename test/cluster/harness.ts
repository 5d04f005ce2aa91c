// What the cluster tests share: a LocalCluster (cluster/launch.ts) against a private Redis and
// a private PostgreSQL database, torn down with the test; the loadgen run in-process against
// one node with its loss detector; and conditions on the cluster view.
import { join } from 'node:path';
import type { Test } from 'tap';
import { LocalCluster, type LaunchOptions } from '../../cluster/launch.ts';
import { assignPartitions } from '../../src/sharding/rendezvous.ts';
import { EXIT_OK, runLoadgenConfig, type LoadgenOutcome } from '../../src/loadgen/loadgen.ts';
import { compileOptions, type RawFlags } from '../../src/loadgen/options.ts';
import type { LoadRunner } from '../../src/loadgen/runner.ts';
import { tempDir } from '../helpers/node.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

/** Short windows and TTLs keep each test to tens of seconds. */
export const LEASE_TTL_MS = 2000;
export const WINDOW_MS = 1000;
export const PARTITIONS = 16;

export async function startCluster(t: Test, redisUrl: string, opts: Partial<LaunchOptions> = {}): Promise<LocalCluster> {
  const db = await createTestDatabase(t);
  const cluster = new LocalCluster({
    redis: redisUrl, postgres: db.url, nodes: 3, baseDir: join(tempDir(t, 'tessera-cluster-'), 'c'),
    partitions: PARTITIONS, windowMs: WINDOW_MS, leaseTtlMs: LEASE_TTL_MS, extraArgs: ['--log-level', 'info'], ...opts,
  });
  // Registered before start: a node that fails to start still has its siblings stopped.
  t.teardown(() => cluster.stopAll(5000));
  await cluster.start();
  return cluster;
}

/** Resolves once node `via` sees exactly `ids` as members, each holding its rendezvous share. */
export async function settledOn(cluster: LocalCluster, via: number, ids: string[], timeoutMs = 30_000): Promise<void> {
  const want = [...ids].sort().join(',');
  const target = new Map<number, string>();
  for (const [id, ps] of assignPartitions(PARTITIONS, ids)) for (const p of ps) target.set(p, id);
  await waitFor(async () => {
    const v = await cluster.view(via);
    const members = v.members.map((m) => m.id).sort().join(',');
    return members === want && v.partitions.every((p) => p.node === target.get(p.partition));
  }, { timeoutMs, everyMs: 50, what: `the cluster to settle on ${want}` });
}

/** Partition → node id, as node `via` sees the leases now. */
export async function owners(cluster: LocalCluster, via: number): Promise<Map<number, string | null>> {
  return new Map((await cluster.view(via)).partitions.map((p) => [p.partition, p.node]));
}

export interface Load {
  outcome: Promise<LoadgenOutcome>;
  /** The loadgen's informational lines (verify progress and errors). */
  info: string[];
  /** Resolves once at least `spans` spans were acknowledged. */
  acked(spans: number): Promise<void>;
  /** Resolves once the receiver has answered at least one retryable error. */
  toldToRetry(): Promise<void>;
}

/** Starts the loadgen against one node's OTLP/HTTP receiver, verifying through its GraphQL. */
export function startLoad(t: Test, endpoint: string, graphql: string, flags: RawFlags = {}): Load {
  let runner: LoadRunner | undefined;
  const info: string[] = [];
  const manifest = join(tempDir(t, 'tessera-cluster-manifest-'), 'manifest.jsonl');
  const outcome = runLoadgenConfig(compileOptions({
    endpoint, verify: graphql, manifest, rate: '1000', duration: '6s', 'late-spans': '0.05', 'late-after': '1500ms',
    duplicates: '0.02', 'max-retries': '12', timeout: '30s', 'verify-settle': '2s', 'verify-timeout': '45s', ...flags,
  }, false), { progress: () => {}, info: (l) => info.push(l), onRunner: (r) => (runner = r) });
  return {
    outcome,
    info,
    acked: (spans) => waitFor(() => (runner?.counters.spansAcked ?? 0) >= spans, { timeoutMs: 60_000, what: `${spans} spans acknowledged` }).then(() => undefined),
    toldToRetry: () => waitFor(() => (runner?.counters.retryable.size ?? 0) > 0, { timeoutMs: 30_000, what: 'a retryable answer' }).then(() => undefined),
  };
}

/** Asserts the loss detector's verdict: every acknowledged trace stored whole, once. */
export function assertNothingLost(t: Test, out: LoadgenOutcome, info: string[] = []): void {
  const v = out.verify;
  const summary = v && { checked: v.checked, lost: v.lost.length, split: v.split.length, incomplete: v.incomplete.length, excess: v.excess.length,
    sample: [...v.lost, ...v.split, ...v.incomplete].slice(0, 3) };
  t.equal(out.exitCode, EXIT_OK, `loss detector: ${JSON.stringify(summary)}${out.exitCode === EXIT_OK ? '' : ` ${info.slice(-3).join(' | ')}`}`);
  t.ok(v !== null && v.checked > 0, `${v?.checked ?? 0} acknowledged traces checked`);
  t.equal((v?.lost.length ?? -1) + (v?.split.length ?? -1) + (v?.incomplete.length ?? -1), 0, '0 lost, 0 split, 0 incomplete');
  t.equal(v?.excess.length ?? -1, 0, '0 traces with duplicated spans');
}

/** A node's /metrics as name{labels} → value. */
export async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut).replace(/,?node="[^"]*"/, '').replace('{}', ''), Number(line.slice(cut + 1)));
  }
  return out;
}
