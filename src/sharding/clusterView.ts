// The operators' view of the cluster: live members and the holder of every partition, as
// JSON on GET /cluster of any node (the console reads it too).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asTesseraError, httpStatusOf } from '../errors.ts';
import { nodeOfOwner, type ClusterRegistry, type LiveMember } from './registry.ts';

export interface PartitionOwnerView {
  partition: number;
  /** The node id holding the lease, or null while nobody does. */
  node: string | null;
  token: number | null;
  expiresInMs: number | null;
}

export interface ClusterSnapshot {
  mode: 'single' | 'cluster';
  /** The node that answered. */
  self: string;
  members: LiveMember[];
  partitions: PartitionOwnerView[];
}

export type ClusterSnapshotSource = () => Promise<ClusterSnapshot>;

/** The snapshot of a cluster registry. */
export function registrySnapshot(registry: ClusterRegistry, partitions: number, self: string): ClusterSnapshotSource {
  return async () => {
    const [members, holders] = await Promise.all([registry.members(), registry.holders(partitions)]);
    return {
      mode: 'cluster',
      self,
      members,
      partitions: holders.map((h, partition) => ({
        partition,
        node: h ? nodeOfOwner(h.owner) : null,
        token: h?.token ?? null,
        expiresInMs: h?.expiresInMs ?? null,
      })),
    };
  };
}

/** A single node owns every partition; there is no lease. */
export function singleNodeSnapshot(partitions: number, self: string, meta: Record<string, string>): ClusterSnapshotSource {
  return async () => ({
    mode: 'single',
    self,
    members: [{ id: self, meta, expiresInMs: 0 }],
    partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, node: self, token: null, expiresInMs: null })),
  });
}

export function clusterHandler(snapshot: ClusterSnapshotSource): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    snapshot().then(
      (s) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(s));
      },
      (err: unknown) => {
        const e = asTesseraError(err);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (e.retryAfterSec !== undefined) headers['retry-after'] = String(e.retryAfterSec);
        res.writeHead(httpStatusOf(e), headers);
        res.end(JSON.stringify({ error: { code: e.code, message: e.message } }));
      },
    );
  };
}
