// The LiveHub conformance suite (docs/PROTOCOL.md, "Live subscriptions"): every hub runs it.
// A factory gives a publishing hub and a subscribing hub (the same hub in-process, two hubs
// on one Redis for the Redis adapter) and a way to wait until the publisher knows a tenant
// is listened to.
import type { Test } from 'tap';
import type { LiveHub, LiveHubOptions, LiveTrace } from '../../src/live/api.ts';
import { liveProjection } from '../../src/live/scopes.ts';
import { catalog } from '../../src/gateway/catalog.ts';
import type { ViewRow } from '../../src/store/api.ts';
import { waitFor } from '../helpers/wait.ts';
import { writtenTrace } from './written.ts';

export interface HubPair {
  publisher: LiveHub;
  subscriber: LiveHub;
  /** Resolves once `publisher` would publish the tenant's traces. */
  whenListening(tenant: string): Promise<void>;
}

export type HubFactory = (t: Test, opts: LiveHubOptions) => Promise<HubPair>;

const projection = liveProjection(catalog);

/** Projected columns only, integers as numbers: what every hub must deliver intact. */
function projected(views: Readonly<Record<string, readonly ViewRow[]>>): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const [view, columns] of projection) {
    const rows = views[view];
    if (!rows || rows.length === 0) continue;
    out[view] = rows.map((r) => Object.fromEntries(columns.map((c) => {
      const v = r[c];
      return [c, typeof v === 'bigint' ? Number(v) : (v ?? null)];
    })));
  }
  return out;
}

/** A listener that records what it gets. */
function recorder() {
  const got: LiveTrace[] = [];
  return { got, listener: (trace: LiveTrace) => void got.push(trace), ids: () => got.map((g) => g.traceId) };
}

let tenantCounter = 0;
const freshTenant = (): string => `tenant-${process.pid}-${++tenantCounter}`;

export function liveHubConformance(t: Test, name: string, make: HubFactory): void {
  t.test(`${name}: LiveHub conformance`, async (t) => {
    await t.test('delivers a written trace to a listener of its tenant with its projected rows', async (t) => {
      const hubs = await make(t, {});
      const tenant = freshTenant();
      const rec = recorder();
      const sub = hubs.subscriber.subscribe(tenant, rec.listener);
      await sub.ready;
      await hubs.whenListening(tenant);
      const w = writtenTrace({ tenant });
      const before = performance.timeOrigin + performance.now();
      hubs.publisher.publish([w]);
      const [got] = await waitFor(() => rec.got.length > 0 && rec.got, { what: 'the trace to arrive' });
      t.equal(got.tenant, tenant);
      t.equal(got.traceId, w.trace.traceId);
      t.equal(got.update, false, 'a first write is not an update');
      t.ok(got.writtenAt >= before - 1 && got.writtenAt <= performance.timeOrigin + performance.now() + 1, 'stamped when published');
      t.ok(Object.keys(projected(w.rows.views)).length >= 2, 'the trace has rows in several live views');
      t.same(projected(got.views), projected(w.rows.views), 'every projected column arrives intact');
    });

    await t.test('never delivers a trace to a listener of another tenant', async (t) => {
      const hubs = await make(t, {});
      const [a, b] = [freshTenant(), freshTenant()];
      const ra = recorder();
      const rb = recorder();
      await Promise.all([hubs.subscriber.subscribe(a, ra.listener).ready, hubs.subscriber.subscribe(b, rb.listener).ready]);
      await Promise.all([hubs.whenListening(a), hubs.whenListening(b)]);
      const wb = writtenTrace({ tenant: b });
      const wa = writtenTrace({ tenant: a });
      // B's trace goes first: once A's listener has A's trace, B's has been delivered too.
      hubs.publisher.publish([wb]);
      hubs.publisher.publish([wa]);
      await waitFor(() => ra.got.length > 0 && rb.got.length > 0, { what: 'both traces to arrive' });
      t.same(ra.ids(), [wa.trace.traceId], 'A hears only its own trace');
      t.same(rb.ids(), [wb.trace.traceId], 'B hears only its own trace');
    });

    await t.test('marks a trace re-opened by a late span as an update', async (t) => {
      const hubs = await make(t, {});
      const tenant = freshTenant();
      const rec = recorder();
      await hubs.subscriber.subscribe(tenant, rec.listener).ready;
      await hubs.whenListening(tenant);
      const first = writtenTrace({ tenant });
      hubs.publisher.publish([first, writtenTrace({ tenant, traceId: first.trace.traceId, revision: 1 })]);
      await waitFor(() => rec.got.length === 2, { what: 'both writes to arrive' });
      t.same(rec.got.map((g) => [g.traceId, g.update]), [[first.trace.traceId, false], [first.trace.traceId, true]]);
    });

    await t.test('delivers traces in the order they were published', async (t) => {
      const hubs = await make(t, {});
      const tenant = freshTenant();
      const rec = recorder();
      await hubs.subscriber.subscribe(tenant, rec.listener).ready;
      await hubs.whenListening(tenant);
      const traces = Array.from({ length: 25 }, () => writtenTrace({ tenant }));
      for (let i = 0; i < traces.length; i += 5) hubs.publisher.publish(traces.slice(i, i + 5));
      await waitFor(() => rec.got.length === traces.length, { what: 'every trace to arrive' });
      t.same(rec.ids(), traces.map((w) => w.trace.traceId));
    });

    await t.test('delivers to every listener of a tenant and stops at a listener\'s close', async (t) => {
      const hubs = await make(t, {});
      const tenant = freshTenant();
      const [r1, r2] = [recorder(), recorder()];
      const s1 = hubs.subscriber.subscribe(tenant, r1.listener);
      await Promise.all([s1.ready, hubs.subscriber.subscribe(tenant, r2.listener).ready]);
      await hubs.whenListening(tenant);
      const w1 = writtenTrace({ tenant });
      hubs.publisher.publish([w1]);
      await waitFor(() => r1.got.length === 1 && r2.got.length === 1, { what: 'both listeners to hear the trace' });
      s1.close();
      s1.close();
      const w2 = writtenTrace({ tenant });
      hubs.publisher.publish([w2]);
      await waitFor(() => r2.got.length === 2, { what: 'the open listener to hear the second trace' });
      t.same(r1.ids(), [w1.trace.traceId], 'the closed listener heard nothing more');
      t.same(r2.ids(), [w1.trace.traceId, w2.trace.traceId]);
    });

    await t.test('publish returns before any listener runs, and a failing listener harms no one', async (t) => {
      const hubs = await make(t, {});
      const tenant = freshTenant();
      let calls = 0;
      const rec = recorder();
      await hubs.subscriber.subscribe(tenant, () => {
        calls++;
        throw new Error('listener bug');
      }).ready;
      await hubs.subscriber.subscribe(tenant, rec.listener).ready;
      await hubs.whenListening(tenant);
      t.doesNotThrow(() => hubs.publisher.publish([writtenTrace({ tenant }), writtenTrace({ tenant })]));
      t.equal(calls, 0, 'no listener ran inside publish');
      await waitFor(() => rec.got.length === 2, { what: 'the healthy listener to hear both traces' });
      t.equal(calls, 2, 'the failing listener was called for each trace');
    });

    await t.test('publishes nothing for a tenant nobody listens to', async (t) => {
      const hubs = await make(t, {});
      const before = hubs.publisher.stats();
      hubs.publisher.publish([writtenTrace({ tenant: freshTenant() }), writtenTrace({ tenant: freshTenant() })]);
      const after = hubs.publisher.stats();
      t.equal(after.published, before.published, 'nothing accepted');
      t.equal(after.dropped, before.dropped, 'nothing counted as dropped either');
    });

    await t.test('drops and counts what is past the queue bound without blocking the publisher', async (t) => {
      const hubs = await make(t, { maxQueuedTraces: 3 });
      const tenant = freshTenant();
      const rec = recorder();
      await hubs.subscriber.subscribe(tenant, rec.listener).ready;
      await hubs.whenListening(tenant);
      const traces = Array.from({ length: 10 }, () => writtenTrace({ tenant }));
      hubs.publisher.publish(traces);
      const s = hubs.publisher.stats();
      t.equal(s.published, 3, 'the bound is accepted');
      t.equal(s.dropped, 7, 'the rest is counted as dropped');
      await waitFor(() => rec.got.length === 3, { what: 'the accepted traces to arrive' });
      t.same(rec.ids(), traces.slice(0, 3).map((w) => w.trace.traceId), 'the first ones, in order');
      const later = writtenTrace({ tenant });
      hubs.publisher.publish([later]);
      await waitFor(() => rec.got.length === 4, { what: 'a later trace once the queue drained' });
      t.equal(rec.got[3].traceId, later.trace.traceId);
    });

    await t.test('stops delivering once closed, and publish still never throws', async (t) => {
      const hubs = await make(t, {});
      const tenant = freshTenant();
      const rec = recorder();
      await hubs.subscriber.subscribe(tenant, rec.listener).ready;
      await hubs.whenListening(tenant);
      await hubs.subscriber.close();
      if (hubs.publisher !== hubs.subscriber) await hubs.publisher.close();
      const before = hubs.publisher.stats().published;
      t.doesNotThrow(() => hubs.publisher.publish([writtenTrace({ tenant })]));
      t.equal(hubs.publisher.stats().published, before, 'a closed hub accepts nothing');
      t.same(rec.got, []);
    });
  });
}
