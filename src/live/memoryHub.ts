// The in-process LiveHub (embedded mode): written traces reach this process's listeners of
// their tenant through a bounded queue, by reference (no copy, no encoding).
import type { Logger } from 'pino';
import type { WrittenTrace } from '../actors/viewWriter.ts';
import { DEFAULT_MAX_QUEUED_TRACES, type HubSubscription, type LiveHub, type LiveHubOptions, type LiveHubStats, type LiveListener, type LiveTrace } from './api.ts';
import { LossLog } from './lossLog.ts';
import { PublishQueue } from './publishQueue.ts';

/** Epoch milliseconds with sub-millisecond precision. */
export const epochMsNow = (): number => performance.timeOrigin + performance.now();

export function liveTraceOf(w: WrittenTrace, writtenAt: number): LiveTrace {
  return { tenant: w.trace.tenant, traceId: w.trace.traceId, update: w.trace.revision > 0, writtenAt, views: w.rows.views };
}

/** Listeners by tenant, shared by both hubs: delivery isolates a listener that throws. */
export class TenantListeners {
  private readonly byTenant = new Map<string, Set<LiveListener>>();
  delivered = 0;

  constructor(private readonly logger: Logger) {}

  has(tenant: string): boolean {
    return this.byTenant.has(tenant);
  }

  tenants(): string[] {
    return [...this.byTenant.keys()];
  }

  /** Adds a listener; true when it is the tenant's first. */
  add(tenant: string, listener: LiveListener): boolean {
    let set = this.byTenant.get(tenant);
    const first = set === undefined;
    if (!set) this.byTenant.set(tenant, (set = new Set()));
    set.add(listener);
    return first;
  }

  /** Removes a listener; true when the tenant has none left. */
  remove(tenant: string, listener: LiveListener): boolean {
    const set = this.byTenant.get(tenant);
    if (!set || !set.delete(listener)) return false;
    if (set.size > 0) return false;
    this.byTenant.delete(tenant);
    return true;
  }

  deliver(trace: LiveTrace): void {
    const set = this.byTenant.get(trace.tenant);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(trace);
        this.delivered++;
      } catch (err) {
        this.logger.error({ err, tenant: trace.tenant }, 'a live listener failed');
      }
    }
  }

  clear(): void {
    this.byTenant.clear();
  }
}

export function createMemoryLiveHub(opts: LiveHubOptions & { logger: Logger }): LiveHub {
  const listeners = new TenantListeners(opts.logger);
  const losses = new LossLog(opts.logger, 'live traces lost in the hub');
  let published = 0;
  let dropped = 0;
  const queue = new PublishQueue<LiveTrace>(opts.maxQueuedTraces ?? DEFAULT_MAX_QUEUED_TRACES, (batch) => {
    for (const t of batch) listeners.deliver(t);
  });

  return {
    publish(written) {
      const at = epochMsNow();
      for (const w of written) {
        if (!listeners.has(w.trace.tenant)) continue;
        if (queue.offer(liveTraceOf(w, at))) published++;
        else {
          dropped++;
          losses.note('dropped');
        }
      }
    },
    subscribe(tenant, listener): HubSubscription {
      listeners.add(tenant, listener);
      return { ready: Promise.resolve(), close: () => void listeners.remove(tenant, listener) };
    },
    stats(): LiveHubStats {
      return { published, delivered: listeners.delivered, dropped, failed: 0, queued: queue.length };
    },
    async close() {
      queue.close();
      listeners.clear();
      losses.close();
    },
  };
}
