// The cluster registry port: who is alive (heartbeats with a TTL) and who holds each
// partition's lease (a TTL plus a fencing token). Adapters: in-process (memoryRegistry.ts,
// fast tests) and Redis (redis/registry.ts). Nothing above this port knows which one it has.

export interface MemberInfo {
  /** The node id; also its span-log consumer name. */
  id: string;
  /** What operators see in the cluster view (addresses, roles, version). */
  meta: Record<string, string>;
}

export interface LiveMember extends MemberInfo {
  /** Milliseconds until the member is declared dead if it sends no heartbeat. */
  expiresInMs: number;
}

/**
 * A partition lease. `owner` names one process incarnation (`node-id#random`), so a node
 * restarted under the same id never mistakes its predecessor's lease for its own. `token`
 * grows with every acquisition of the partition: the fencing token.
 */
export interface Lease {
  partition: number;
  owner: string;
  token: number;
}

export interface LeaseHolder extends Lease {
  expiresInMs: number;
}

export type AcquireResult =
  | { acquired: true; lease: Lease }
  /** Held by someone else (possibly a dead node whose lease has not expired yet). */
  | { acquired: false; holder: string; expiresInMs: number };

export interface ClusterRegistry {
  /** Registers or refreshes a member for `ttlMs` (measured by the registry's clock). */
  heartbeat(member: MemberInfo, ttlMs: number): Promise<void>;
  /** Removes a member at once (graceful leave). */
  leave(memberId: string): Promise<void>;
  /** Members whose heartbeat has not expired, sorted by id. */
  members(): Promise<LiveMember[]>;
  /** Takes the partition's lease when nobody holds it, with a token higher than any before. */
  acquire(partition: number, owner: string, ttlMs: number): Promise<AcquireResult>;
  /** Extends a lease still held under this owner and token; false when it was lost. */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Gives a lease up at once; a lease no longer held is left alone. */
  release(lease: Lease): Promise<void>;
  /** The current holder of each partition in [0, partitions), or null. */
  holders(partitions: number): Promise<(LeaseHolder | null)[]>;
  close(): Promise<void>;
}

/** The lease owner string of one process incarnation of a node. */
export const leaseOwner = (nodeId: string, incarnation: string): string => `${nodeId}#${incarnation}`;

/** The node id part of a lease owner string. */
export const nodeOfOwner = (owner: string): string => {
  const i = owner.lastIndexOf('#');
  return i < 0 ? owner : owner.slice(0, i);
};
