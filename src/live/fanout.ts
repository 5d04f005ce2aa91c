// The fan-out from the hub to subscribers. Subscriptions are grouped by tenant, then by their
// plan's canonical key: each written trace is evaluated once per distinct filter set (never by
// querying the store). What the traces of one hub delivery matched (they arrive in one turn of
// the event loop) is pushed, as one shared batch of LiveRows, into the bounded stream of every
// subscriber of that set. Pushing never waits: a subscriber that falls behind is ended,
// counted and handed to its `onOverflow` (the transport cuts it off).
import type { Logger } from 'pino';
import { TesseraError } from '../errors.ts';
import type { HubSubscription, LiveHub, LiveTrace } from './api.ts';
import { timeLive } from './busy.ts';
import { LossLog } from './lossLog.ts';
import { LiveRow, type LivePlan } from './plan.ts';
import { LiveStream } from './stream.ts';

export interface LiveFanoutOptions {
  hub: LiveHub;
  logger: Logger;
  /** Bounds of one subscriber's buffer while an earlier batch is unread (stream.ts). */
  maxBufferedBatches: number;
  maxBufferedEvents: number;
  /** How long a new subscription waits for the hub to listen; default 5000 ms. */
  readyTimeoutMs?: number;
}

export interface LiveFanoutStats {
  tenants: number;
  /** Distinct filter sets (per tenant) being evaluated. */
  groups: number;
  /** Subscriptions ready to receive. */
  subscriptions: number;
  /** Row tests run: (rows of the scope's view) × (distinct filter sets), per trace. */
  evaluations: number;
  /** Rows that matched a filter set. */
  matched: number;
  /** Events handed to subscriber streams. */
  delivered: number;
  /** Subscribers ended because they fell behind. */
  cutOff: number;
}

interface Group {
  plan: LivePlan;
  streams: Set<LiveStream<LiveRow>>;
  /** Matches of the current delivery, pushed at its end. */
  pending: LiveRow[] | null;
}

interface TenantState {
  hub: HubSubscription;
  groups: Map<string, Group>;
}

export class LiveFanout {
  private readonly tenants = new Map<string, TenantState>();
  private readonly ready = new WeakSet<LiveStream<LiveRow>>();
  private readonly losses: LossLog;
  private readyCount = 0;
  private evaluations = 0;
  private matched = 0;
  private delivered = 0;
  private cutOff = 0;
  private closed = false;
  private readonly toFlush: Group[] = [];

  constructor(private readonly opts: LiveFanoutOptions) {
    this.losses = new LossLog(opts.logger, 'live subscribers cut off for falling behind');
  }

  /**
   * A stream of the plan's matching rows for one tenant, once the hub listens. `onOverflow`
   * is called (once) if the subscriber falls behind; the stream has then ended.
   */
  async subscribe(tenant: string, plan: LivePlan, onOverflow: () => void): Promise<LiveStream<LiveRow>> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'live subscriptions are shutting down');
    const state = this.tenantState(tenant);
    let group = state.groups.get(plan.key);
    if (!group) state.groups.set(plan.key, (group = { plan, streams: new Set(), pending: null }));
    const bounds = { maxBatches: this.opts.maxBufferedBatches, maxEvents: this.opts.maxBufferedEvents };
    const stream: LiveStream<LiveRow> = new LiveStream<LiveRow>(bounds, (why) => {
      this.remove(tenant, plan.key, stream);
      if (why !== 'overflow') return;
      this.cutOff++;
      this.losses.note('cutOff');
      onOverflow();
    });
    group.streams.add(stream);
    const timeoutMs = this.opts.readyTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        state.hub.ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not listening after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      stream.end('closed');
      throw new TesseraError('UNAVAILABLE', `the live hub cannot listen to tenant ${tenant}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (!stream.done) {
      this.ready.add(stream);
      this.readyCount++;
    }
    return stream;
  }

  stats(): LiveFanoutStats {
    let groups = 0;
    for (const s of this.tenants.values()) groups += s.groups.size;
    return {
      tenants: this.tenants.size, groups, subscriptions: this.readyCount, evaluations: this.evaluations,
      matched: this.matched, delivered: this.delivered, cutOff: this.cutOff,
    };
  }

  /** Ends every stream and stops listening. */
  close(): void {
    this.closed = true;
    for (const state of [...this.tenants.values()]) {
      for (const group of [...state.groups.values()]) for (const s of [...group.streams]) s.end('closed');
    }
    this.losses.close();
  }

  private tenantState(tenant: string): TenantState {
    let state = this.tenants.get(tenant);
    if (!state) {
      const groups = new Map<string, Group>();
      const hub = this.opts.hub.subscribe(tenant, (trace) => timeLive(() => this.onTrace(groups, trace)));
      // A failed listen is reported to the subscriber that waits for it.
      hub.ready.catch(() => undefined);
      this.tenants.set(tenant, (state = { hub, groups }));
    }
    return state;
  }

  private remove(tenant: string, key: string, stream: LiveStream<LiveRow>): void {
    if (this.ready.delete(stream)) this.readyCount--;
    const state = this.tenants.get(tenant);
    const group = state?.groups.get(key);
    if (!state || !group) return;
    group.streams.delete(stream);
    if (group.streams.size > 0) return;
    state.groups.delete(key);
    if (state.groups.size > 0) return;
    this.tenants.delete(tenant);
    state.hub.close();
  }

  private onTrace(groups: Map<string, Group>, trace: LiveTrace): void {
    // Rows are shared across filter sets of one scope: typed values are computed once.
    const shared = new Map<string, LiveRow>();
    for (const group of groups.values()) {
      const { plan } = group;
      const rows = trace.views[plan.view];
      if (!rows || rows.length === 0) continue;
      for (let i = 0; i < rows.length; i++) {
        this.evaluations++;
        let hit: boolean;
        try {
          hit = plan.test(rows[i]);
        } catch (err) {
          this.opts.logger.error({ err, view: plan.view }, 'live filter failed on a row');
          hit = false;
        }
        if (!hit) continue;
        const slot = `${plan.scope.scope}\u0000${i}`;
        let row = shared.get(slot);
        if (!row) {
          row = new LiveRow(plan.scope.scope, String(rows[i][plan.idColumn]), trace.traceId, trace.update, trace.writtenAt, rows[i]);
          shared.set(slot, row);
        }
        if (!group.pending) {
          group.pending = [];
          if (this.toFlush.length === 0) queueMicrotask(() => timeLive(() => this.flush()));
          this.toFlush.push(group);
        }
        group.pending.push(row);
        this.matched++;
      }
    }
  }

  /** Pushes each group's matches of the delivery that just ended, as one batch. */
  private flush(): void {
    for (const group of this.toFlush.splice(0)) {
      const batch = group.pending!;
      group.pending = null;
      for (const stream of group.streams) if (stream.push(batch)) this.delivered += batch.length;
    }
  }
}
