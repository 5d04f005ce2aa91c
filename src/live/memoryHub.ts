// The in-process LiveHub (embedded mode): written traces reach this process's listeners of
// their tenant through a bounded queue, by reference (no copy, no encoding).
import type { Logger } from 'pino';
import { DEFAULT_MAX_QUEUED_TRACES, type HubSubscription, type LiveHub, type LiveHubOptions, type LiveHubStats, type LiveTrace } from './api.ts';
import { epochMsNow, liveTraceOf, TenantListeners } from './listeners.ts';
import { LossLog } from './lossLog.ts';
import { PublishQueue } from './publishQueue.ts';

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
