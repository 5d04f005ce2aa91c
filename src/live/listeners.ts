// What both LiveHub adapters share: the listeners of each tenant, delivery that isolates a
// listener that throws, and the LiveTrace a written trace becomes.
import type { Logger } from 'pino';
import type { WrittenTrace } from '../actors/viewWriter.ts';
import type { LiveListener, LiveTrace } from './api.ts';

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
