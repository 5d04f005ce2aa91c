// The Redis cluster registry (docs/operations.md, "Keys"): members in one sorted set scored
// by their expiry on the Redis clock, one lease string per partition set with PX, one fence
// counter per partition bumped by every acquisition. ioredis stays in this folder.
import { fromRedisError, withDeadline, type LuaScript, type RedisClient } from '../../store/redis/connection.ts';
import type { AcquireResult, ClusterRegistry, Lease, LeaseHolder, LiveMember, MemberInfo } from '../registry.ts';
import { closeRedis, connectRedis } from './connect.ts';
import { ACQUIRE, HEARTBEAT, HOLDER, LEAVE, MEMBERS, RELEASE, RENEW } from './scripts.ts';

export interface RedisRegistryOptions {
  /** A redis:// URL (the registry opens and closes its own client) or a client to share. */
  redis: string | RedisClient;
  /** Prefix of every key; the span log's prefix, so one deployment's keys sit together. Default 'tessera'. */
  keyPrefix?: string;
  /** A command not answered within this is UNAVAILABLE. Default 2000. */
  commandTimeoutMs?: number;
}

export interface RedisClusterRegistry extends ClusterRegistry {
  readonly client: RedisClient;
  leaseKey(partition: number): string;
}

const leaseValue = (l: Lease): string => `${l.owner} ${l.token}`;

function parseLeaseValue(partition: number, value: string): Lease {
  const cut = value.lastIndexOf(' ');
  return { partition, owner: value.slice(0, cut), token: Number(value.slice(cut + 1)) };
}

class RedisRegistry implements RedisClusterRegistry {
  private readonly live: string;
  private readonly info: string;
  private closed = false;

  constructor(
    readonly client: RedisClient,
    private readonly ownsClient: boolean,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.live = `${prefix}:{members}:live`;
    this.info = `${prefix}:{members}:info`;
  }

  leaseKey(partition: number): string {
    return `${this.prefix}:lease:{p${partition}}`;
  }

  private fenceKey(partition: number): string {
    return `${this.prefix}:fence:{p${partition}}`;
  }

  async heartbeat(member: MemberInfo, ttlMs: number): Promise<void> {
    await this.run('sending a heartbeat', HEARTBEAT, [this.live, this.info], [member.id, Math.ceil(ttlMs), JSON.stringify(member.meta)]);
  }

  async leave(memberId: string): Promise<void> {
    await this.run('leaving the cluster', LEAVE, [this.live, this.info], [memberId]);
  }

  async members(): Promise<LiveMember[]> {
    const rows = (await this.run('listing members', MEMBERS, [this.live, this.info], [])) as string[];
    const out: LiveMember[] = [];
    for (let i = 0; i + 2 < rows.length; i += 3) {
      let meta: Record<string, string> = {};
      try {
        meta = JSON.parse(rows[i + 2]) as Record<string, string>;
      } catch {
        // A hand-edited entry: the member still counts, without its details.
      }
      out.push({ id: rows[i], expiresInMs: Number(rows[i + 1]), meta });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async acquire(partition: number, owner: string, ttlMs: number): Promise<AcquireResult> {
    const r = (await this.run('acquiring a lease', ACQUIRE, [this.leaseKey(partition), this.fenceKey(partition)], [owner, Math.ceil(ttlMs)])) as unknown[];
    if (Number(r[0]) === 1) return { acquired: true, lease: { partition, owner, token: Number(r[1]) } };
    return { acquired: false, holder: parseLeaseValue(partition, String(r[1])).owner, expiresInMs: Math.max(0, Number(r[2])) };
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    const r = await this.run('renewing a lease', RENEW, [this.leaseKey(lease.partition)], [leaseValue(lease), Math.ceil(ttlMs)]);
    return Number(r) === 1;
  }

  async release(lease: Lease): Promise<void> {
    await this.run('releasing a lease', RELEASE, [this.leaseKey(lease.partition)], [leaseValue(lease)]);
  }

  async holders(partitions: number): Promise<(LeaseHolder | null)[]> {
    return Promise.all(
      Array.from({ length: partitions }, async (_, p) => {
        const [value, pttl] = (await this.run('reading lease holders', HOLDER, [this.leaseKey(p)], [])) as [string | null, number];
        if (value === null || value === undefined) return null;
        return { ...parseLeaseValue(p, String(value)), expiresInMs: Math.max(0, Number(pttl)) };
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await closeRedis(this.client);
  }

  private run(doing: string, script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return withDeadline(script.run(this.client, keys, args), this.timeoutMs, doing, 1).catch((err: unknown) => {
      throw fromRedisError(err, doing);
    });
  }
}

/** Opens the Redis cluster registry; rejects UNAVAILABLE when Redis cannot be reached. */
export async function openRedisRegistry(opts: RedisRegistryOptions): Promise<RedisClusterRegistry> {
  const timeoutMs = opts.commandTimeoutMs ?? 2000;
  const owns = typeof opts.redis === 'string';
  const client = typeof opts.redis === 'string' ? await connectRedis(opts.redis, { commandTimeoutMs: timeoutMs }) : opts.redis;
  return new RedisRegistry(client, owns, opts.keyPrefix ?? 'tessera', timeoutMs);
}
