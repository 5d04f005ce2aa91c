// The Redis live message: projected columns only, integers past 2^53 intact, compact.
import t from 'tap';
import { catalog } from '../../src/gateway/catalog.ts';
import { decodeLiveTrace, encodeLiveTrace } from '../../src/live/codec.ts';
import { liveProjection } from '../../src/live/scopes.ts';
import type { LiveTrace } from '../../src/live/api.ts';
import { writtenTrace } from './written.ts';

const projection = liveProjection(catalog);

t.test('the projection covers each live scope\'s attributes and leaves binary columns out', async (t) => {
  for (const scope of ['TRACE', 'SPAN', 'API_TRACE']) {
    const view = catalog.scope(scope).view;
    const columns = new Set(projection.get(view));
    for (const a of catalog.list().filter((a) => a.scope === scope && a.source)) t.ok(columns.has(a.source!.column), `${scope}.${a.key}`);
  }
  t.notOk(projection.get('rawTraceView')?.includes('span_batch'), 'no span batch');
  t.notOk(projection.has('logEventView'), 'no log events');
});

t.test('a trace survives the round trip on its projected columns', async (t) => {
  const w = writtenTrace({ tenant: 'codec' });
  const big = 9_007_199_254_740_993n;
  const trace: LiveTrace = { tenant: 'codec', traceId: w.trace.traceId, update: true, writtenAt: 1_700_000_000_123.25, views: {
    ...w.rows.views,
    rawTraceView: w.rows.views.rawTraceView.map((r) => ({ ...r, duration_micros: big })),
  } };
  const text = encodeLiveTrace(trace, projection);
  const back = decodeLiveTrace(text);
  t.match(back, { tenant: 'codec', traceId: w.trace.traceId, update: true, writtenAt: 1_700_000_000_123.25 });
  t.ok(projection.get('rawTraceView')?.includes('duration_micros'), 'a projected long column');
  t.equal(back.views.rawTraceView[0].duration_micros, big, 'a bigint past 2^53 stays exact');
  for (const [view, columns] of projection) {
    const rows = trace.views[view] ?? [];
    t.equal(back.views[view]?.length ?? 0, rows.length, `${view}: every row`);
    rows.forEach((row, i) => {
      for (const c of columns) t.same(back.views[view][i][c], row[c] ?? null, `${view}[${i}].${c}`);
    });
  }
  const full = JSON.stringify(w.rows.views, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
  t.ok(text.length < full.length * 0.8, `compact: ${text.length} B against ${full.length} B for every row as JSON`);
});

t.test('refuses what is not a live message', async (t) => {
  for (const text of ['not json', '{"v":99,"t":"a","i":"b","r":{}}', 'null', '[]']) {
    t.throws(() => decodeLiveTrace(text), { code: 'INVALID_ARGUMENT' }, text);
  }
});
