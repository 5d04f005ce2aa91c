// Contract: `entities` with attributes, metrics, series, entity-store attributes,
// includeInactive, and incoming/outgoing edges — on HotROD and on a seeded loadgen data set,
// every expected value computed here from the rows written.
import type { Test } from 'tap';
import { entityId } from '../../src/enrich/entity.ts';
import type { StoredEntity } from '../../src/store/entities.ts';
import { startContract, type ContractFactory } from './contract.harness.ts';
import { betweenOf, groupBy, num, percentile, sum, viewRows, type DataSet } from './seed.ts';

const Q2 = (b: string, scope = 'SERVICE') => `{ entities(scope: "${scope}", limit: 100, ${b}, offset: 0, orderBy: [{aggregation: PERCENTILE, direction: DESC, keyExpression: {key: "duration"}}]) { results { entityId: id id: attribute(expression: {key: "id"}) name: attribute(expression: {key: "name"}) type duration: metric(expression: {key: "duration"}) { p99: percentile(size: 99) { value __typename } avg { value } __typename } errorCount: metric(expression: {key: "errorCount"}) { avgrate_sec: avgrate(units: SECONDS, size: 1) { value } sum { value } } numCalls: metric(expression: {key: "numCalls"}) { avgrate_sec: avgrate(units: SECONDS, size: 1) { value } sum { value } } __typename } total __typename } }`;

const close = (t: Test, a: number | null, b: number | null, what: string) =>
  t.ok(a !== null && b !== null && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} ≈ ${b}`);

export function entityContract(t: Test, factory: ContractFactory, sets: { hotrod: () => Promise<DataSet>; seeded: () => Promise<DataSet> }): void {
  t.test('Q2 on HotROD: four services sorted by p99 desc, route with 10 calls', async (t) => {
    const hotrod = await sets.hotrod();
    const c = await startContract(t, factory, [hotrod]);
    const d = (await c.data(Q2(betweenOf(hotrod)))).entities;
    t.same(d.results.map((r: any) => r.name).sort(), ['customer', 'driver', 'frontend', 'route']);
    t.equal(d.total, 4);
    const p99s = d.results.map((r: any) => r.duration.p99.value);
    t.same(p99s, [...p99s].sort((a, b) => b - a), 'ordered by p99, descending');
    const route = d.results.find((r: any) => r.name === 'route');
    t.equal(route.numCalls.sum.value, 10);
    close(t, route.numCalls.avgrate_sec.value, 10 / ((hotrod.toMs - hotrod.fromMs) / 1000), 'avgrate = sum / window seconds');
    for (const r of d.results) {
      t.equal(r.type, 'SERVICE');
      t.equal(r.id, r.entityId, 'attribute(id) is the id');
      t.equal(r.__typename, 'Entity');
    }
  });

  t.test('service metrics on a seeded data set equal the sums and percentiles of its rows', async (t) => {
    const seeded = await sets.seeded();
    const c = await startContract(t, factory, [seeded]);
    const byService = groupBy(viewRows(seeded, 'rawServiceView').filter((r) => r.service_id), (r) => String(r.service_id));
    t.ok(byService.size >= 3, `${byService.size} services to compare`);
    const d = (await c.data(Q2(betweenOf(seeded)))).entities;
    t.equal(d.total, byService.size);
    for (const r of d.results) {
      const rows = byService.get(r.id)!;
      t.ok(rows, `service ${r.name} is in the rows`);
      t.equal(r.name, rows[0].service_name);
      t.equal(r.numCalls.sum.value, sum(rows.map((x) => num(x.num_calls))), `${r.name} calls`);
      t.equal(r.errorCount.sum.value, sum(rows.map((x) => num(x.error_count))), `${r.name} errors`);
      close(t, r.duration.p99.value, percentile(rows.map((x) => num(x.duration_millis)), 99), `${r.name} p99`);
      close(t, r.duration.avg.value, sum(rows.map((x) => num(x.duration_millis))) / rows.length, `${r.name} avg`);
    }
    const page = (await c.data(`{ entities(scope: "SERVICE", ${betweenOf(seeded)}, limit: 2, offset: 1, orderBy: [{keyExpression: {key: "numCalls"}, aggregation: SUM, direction: ASC}, {keyExpression: {key: "name"}}]) { results { name: attribute(expression: {key: "name"}) } count total } }`)).entities;
    const expected = [...byService.values()]
      .map((rows) => ({ name: String(rows[0].service_name), calls: sum(rows.map((x) => num(x.num_calls))) }))
      .sort((a, b) => a.calls - b.calls || (a.name < b.name ? -1 : 1)).slice(1, 3).map((x) => x.name);
    t.same(page.results.map((r: any) => r.name), expected, 'orderBy an aggregation, then an attribute; limit and offset');
    t.same([page.count, page.total], [2, byService.size]);
  });

  t.test('a single entity by ID filter, with a per-minute series', async (t) => {
    const seeded = await sets.seeded();
    const c = await startContract(t, factory, [seeded]);
    const rows = viewRows(seeded, 'rawServiceView').filter((r) => r.service_id);
    const busiest = [...groupBy(rows, (r) => String(r.service_id)).entries()].sort((a, b) => b[1].length - a[1].length)[0];
    const d = (await c.data(`{ entities(scope: "SERVICE", limit: 1, ${betweenOf(seeded)}, filterBy: [{operator: EQUALS, value: "${busiest[0]}", type: ID, idType: SERVICE}], includeInactive: true) { results { id calls: metric(expression: {key: "numCalls"}) { sum { value } series(size: 1, units: MINUTES) { startTime endTime sum { value } avgrate(size: 1, units: SECONDS) { value } p50: percentile(size: 50) { value } } baselineSeries(size: 1, units: MINUTES) { startTime sum { value lowerBound upperBound } } } } } }`)).entities;
    t.equal(d.results.length, 1);
    const series = d.results[0].calls.series;
    const buckets = groupBy(busiest[1], (r) => String(Math.floor(num(r.start_time_millis) / 60_000) * 60_000));
    t.same(series.map((i: any) => Date.parse(i.startTime)), [...buckets.keys()].map(Number).sort((a, b) => a - b), 'one interval per minute with data, in time order');
    for (const i of series) {
      const ms = Date.parse(i.startTime);
      const want = sum(buckets.get(String(ms))!.map((r) => num(r.num_calls)));
      t.equal(Date.parse(i.endTime) - ms, 60_000);
      t.equal(i.sum.value, want, `calls in the minute at ${i.startTime}`);
      close(t, i.avgrate.value, want / 60, 'avgrate over the series interval');
    }
    t.equal(d.results[0].calls.baselineSeries[0].sum.lowerBound, null, 'baselines answer null');
  });

  t.test('edges: outgoing and incoming SERVICE and BACKEND edges with their metrics and neighbors', async (t) => {
    const seeded = await sets.seeded();
    const c = await startContract(t, factory, [seeded]);
    const calls = viewRows(seeded, 'serviceCallView');
    const d = (await c.data(`{ entities(scope: "SERVICE", limit: 100, ${betweenOf(seeded)}) { results { id
      out: outgoingEdges(neighborType: SERVICE) { results { calls: metric(expression: {key: "numCalls"}) { sum { value } } p: metric(expression: {key: "duration"}) { percentile(size: 99) { value } } from: attribute(expression: {key: "fromEntityId"}) neighbor { id name: attribute(expression: {key: "name"}) calls: metric(expression: {key: "numCalls"}) { sum { value } } } } }
      backends: outgoingEdges(neighborType: BACKEND) { results { calls: metric(expression: {key: "numCalls"}) { sum { value } } neighbor { id type name: attribute(expression: {key: "name"}) } } }
      in: incomingEdges(neighborScope: "SERVICE") { count results { neighbor { id } } } } } }`)).entities.results;
    const svcEdges = groupBy(calls.filter((r) => r.caller_service_id_str && r.callee_service_id_str), (r) => `${r.caller_service_id_str}>${r.callee_service_id_str}`);
    const beEdges = groupBy(calls.filter((r) => r.caller_service_id_str && r.callee_backend_id), (r) => `${r.caller_service_id_str}>${r.callee_backend_id}`);
    t.ok(svcEdges.size > 0 && beEdges.size > 0, `${svcEdges.size} service edges and ${beEdges.size} backend edges to compare`);
    let seen = 0;
    let seenBackends = 0;
    for (const e of d) {
      for (const edge of e.out.results) {
        const rows = svcEdges.get(`${e.id}>${edge.neighbor.id}`)!;
        t.ok(rows, `edge ${e.id} → ${edge.neighbor.id} exists in the rows`);
        t.equal(edge.calls.sum.value, sum(rows.map((r) => num(r.num_calls))));
        close(t, edge.p.percentile.value, percentile(rows.map((r) => num(r.duration_millis)), 99), 'edge p99');
        t.equal(edge.from, e.id, 'fromEntityId is the caller');
        t.ok(edge.neighbor.name, 'the neighbor is loaded as an entity');
        seen++;
      }
      for (const edge of e.backends.results) {
        t.equal(edge.calls.sum.value, sum(beEdges.get(`${e.id}>${edge.neighbor.id}`)!.map((r) => num(r.num_calls))));
        t.equal(edge.neighbor.type, 'BACKEND');
        seenBackends++;
      }
      const callers = new Set(calls.filter((r) => r.callee_service_id_str === e.id && r.caller_service_id_str).map((r) => r.caller_service_id_str));
      t.same(e.in.results.map((x: any) => x.neighbor.id).sort(), [...callers].sort(), 'incoming edges come from every caller');
    }
    t.equal(seen, svcEdges.size, 'every service edge once');
    t.equal(seenBackends, beEdges.size, 'every backend edge once');
  });

  t.test('entity-store attributes are fetched by id; includeInactive adds entities without traffic', async (t) => {
    const hotrod = await sets.hotrod();
    const template = hotrod.entities.find((e) => e.type === 'SERVICE')!;
    const idle: StoredEntity = { ...template, id: entityId(hotrod.tenant, 'SERVICE', { FQN: 'idle' }), name: 'idle', identifying: { FQN: 'idle' }, attributes: { FQN: 'idle', service_type: 'BATCH' } };
    const c = await startContract(t, factory, [hotrod]);
    if (!c.entities) {
      t.comment('this adapter has no entity store: skipped');
      return;
    }
    await c.entities.upsert([idle]);
    const q = (extra: string) => `{ entities(scope: "SERVICE", ${betweenOf(hotrod)}${extra}) { results { name: attribute(expression: {key: "name"}) type: attribute(expression: {key: "type"}) calls: metric(expression: {key: "numCalls"}) { sum { value } } } total } }`;
    const live = (await c.data(q(''))).entities;
    t.equal(live.total, 4, 'live entities only by default');
    const stored = new Map(hotrod.entities.filter((e) => e.type === 'SERVICE').map((e) => [e.name, e.attributes.service_type ?? null]));
    for (const r of live.results) t.equal(r.type, stored.get(r.name), `${r.name}: SERVICE.type from the entity store`);
    const all = (await c.data(q(', includeInactive: true'))).entities;
    t.equal(all.total, 5);
    t.same(all.results.find((r: any) => r.name === 'idle'), { name: 'idle', type: 'BATCH', calls: { sum: { value: null } } }, 'an inactive entity has no metrics');
    const batch = (await c.data(q(', includeInactive: true, filterBy: [{type: ATTRIBUTE, keyExpression: {key: "type"}, operator: EQUALS, value: "BATCH"}]'))).entities;
    t.same(batch.results.map((r: any) => r.name), ['idle'], 'a filter on an entity-store attribute');
    const notBatch = (await c.data(q(', filterBy: [{type: ATTRIBUTE, keyExpression: {key: "type"}, operator: NOT_EQUALS, value: "BATCH"}], orderBy: [{keyExpression: {key: "type"}}, {keyExpression: {key: "name"}}]'))).entities;
    t.same(notBatch.results.map((r: any) => r.name), ['customer', 'driver', 'frontend', 'route'], 'live entities filtered and ordered in memory by an entity-store attribute');
  });
}
