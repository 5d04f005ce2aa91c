// Query latency through the gateway on loadgen data in DuckDB (issue 5 §6): trace by id with
// its spans, Q2 (services with RED metrics over 1 h), topology, explore in 1-minute buckets
// grouped by service, an attribute search on a span tag, and a service/operation/duration
// search. Each prints p50/p95 through the gateway (GraphQL parse → validate → actor → plan →
// store → shape) and of the same view queries (the same SQL) run straight on the store right
// after, one after the other: their ratio is the gateway's overhead. Trace by id reads another
// trace each run, so both are measured on warm data (after a first look through the gateway,
// which has its own figure): DuckDB's first read of a trace's row groups costs more than the
// gateway does, and timing it on one side only made the gateway look 2–3x the SQL.
//   node --import tsx bench/query.ts [--spans 1000000] [--runs 30] [--db /tmp/tessera-query-1000000.duckdb] [--base FILE] [--only traceById,q2,…] [--warmup 30] [--no-rollups] [--sql] [--json]
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { buildGraphqlExecutor } from '../src/gateway/http.ts';
import type { ViewStore } from '../src/store/api.ts';
import { renderQuery } from '../src/store/duckdb/sql.ts';
import { openDuckDbViewStore } from '../src/store/duckdb/viewStore.ts';
import type { ViewQuery } from '../src/store/query.ts';
import { type Figure, report } from './figures.ts';
import { ensureDataSet, ensureReplicatedDataSet, TENANT, type DataSetInfo } from './queryData.ts';

const flag = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const spans = Number(flag('spans', '1000000'));
const runs = Number(flag('runs', '30'));
const db = flag('db', `/tmp/tessera-query-${spans}.duckdb`);
// Figure ids start with this (bench/run.ts runs the 1 M and the 10 M data sets as two scenarios).
const prefix = flag('prefix', 'query');

const iso = (ms: number) => new Date(ms).toISOString();

/** Each scenario: a name, its goal (ms, issue 5 §6) and its operations (a batch, like the UI sends). */
function scenarios(info: DataSetInfo): { id: string; label: string; goalMs?: number; firstLook?: boolean; ops: (i: number) => string[] }[] {
  const hour = `between: {startTime: "${iso(info.toMs - 3_600_000)}", endTime: "${iso(info.toMs)}"}`;
  const all = `between: {startTime: "${iso(info.fromMs - 3_600_000)}", endTime: "${iso(info.toMs + 3_600_000)}"}`;
  const idFilter = (id: string) => `filterBy: [{operator: EQUALS, value: "${id}", type: ID, idScope: "TRACE"}]`;
  const s = info.search;
  return [
    {
      id: 'traceById', label: 'trace by id + its spans', goalMs: 20, firstLook: true,
      ops: (i) => {
        const id = info.traceIds[i % info.traceIds.length];
        return [
          `{ traces(type: TRACE, limit: 1, ${all}, ${idFilter(id)}) { results { id startTime: attribute(expression: {key: "startTime"}) duration: attribute(expression: {key: "duration"}) } } }`,
          `{ spans(limit: 1000, ${all}, ${idFilter(id)}) { results { id displaySpanName: attribute(expression: {key: "displaySpanName"}) duration: attribute(expression: {key: "duration"}) startTime: attribute(expression: {key: "startTime"}) parentSpanId: attribute(expression: {key: "parentSpanId"}) serviceName: attribute(expression: {key: "serviceName"}) spanTags: attribute(expression: {key: "spanTags"}) } } }`,
        ];
      },
    },
    {
      id: 'q2', label: 'Q2: services with RED metrics, 1 h', goalMs: 150,
      ops: () => [`{ entities(scope: "SERVICE", limit: 100, ${hour}, offset: 0, orderBy: [{aggregation: PERCENTILE, direction: DESC, keyExpression: {key: "duration"}}]) { results { id name: attribute(expression: {key: "name"}) duration: metric(expression: {key: "duration"}) { p99: percentile(size: 99) { value } avg { value } } errorCount: metric(expression: {key: "errorCount"}) { avgrate_sec: avgrate(units: SECONDS, size: 1) { value } sum { value } } numCalls: metric(expression: {key: "numCalls"}) { avgrate_sec: avgrate(units: SECONDS, size: 1) { value } sum { value } } } total } }`],
    },
    {
      id: 'topology', label: 'topology: services, edges, neighbors, 1 h',
      ops: () => [`{ entities(scope: "SERVICE", limit: 100, ${hour}) { results { id name: attribute(expression: {key: "name"}) p99: metric(expression: {key: "duration"}) { percentile(size: 99) { value } } out: outgoingEdges(neighborType: SERVICE) { results { calls: metric(expression: {key: "numCalls"}) { sum { value } } p99: metric(expression: {key: "duration"}) { percentile(size: 99) { value } } neighbor { id name: attribute(expression: {key: "name"}) } } } backends: outgoingEdges(neighborType: BACKEND) { results { calls: metric(expression: {key: "numCalls"}) { sum { value } } neighbor { id name: attribute(expression: {key: "name"}) } } } in: incomingEdges(neighborType: SERVICE) { results { neighbor { id } } } } } }`],
    },
    {
      id: 'explore', label: 'explore: 1-min buckets by service, 1 h',
      ops: () => [`{ explore(scope: "SPAN", limit: 1000, ${hour}, interval: {size: 1, units: MINUTES}, groupBy: {expressions: [{key: "serviceName"}], groupLimit: 5, includeRest: true}) { results { intervalStart s: selection(expression: {key: "serviceName"}) { value } n: selection(expression: {key: "spans"}, aggregation: COUNT) { value } } } }`],
    },
    {
      id: 'search', label: 'service/operation/duration search, 1 h', goalMs: 50,
      ops: () => [`{ traces(type: API_TRACE, limit: 100, ${hour}, orderBy: [{keyExpression: {key: "startTime"}, direction: DESC}], filterBy: [{type: ATTRIBUTE, keyExpression: {key: "serviceName"}, operator: EQUALS, value: ${JSON.stringify(s.service)}}, {type: ATTRIBUTE, keyExpression: {key: "apiName"}, operator: EQUALS, value: ${JSON.stringify(s.api)}}, {type: ATTRIBUTE, keyExpression: {key: "duration"}, operator: GREATER_THAN, value: ${s.minDurationMs}}]) { results { id duration: attribute(expression: {key: "duration"}) traceId: attribute(expression: {key: "traceId"}) } total } }`],
    },
    {
      id: 'tag', label: 'attribute search on a span tag, whole window', goalMs: 300,
      ops: () => [`{ spans(limit: 100, ${all}, filterBy: [{type: ATTRIBUTE, keyExpression: {key: "spanTags", subpath: ${JSON.stringify(info.tag.key)}}, operator: EQUALS, value: ${JSON.stringify(info.tag.value)}}]) { results { id traceId: attribute(expression: {key: "traceId"}) serviceName: attribute(expression: {key: "serviceName"}) } total } }`],
    },
  ];
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const stats = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95) };
};

// --base FILE: build the data set from a smaller loadgen one by replicating it (queryData.ts).
const base = flag('base', '');
const info = base
  ? await ensureReplicatedDataSet(db, base, Math.round(spans / (JSON.parse(readFileSync(`${base}.info.json`, 'utf8')) as DataSetInfo).spans))
  : await ensureDataSet(db, spans);
console.error(`data: ${info.spans.toLocaleString('en-US')} spans in ${info.traces.toLocaleString('en-US')} traces (${db})`);
// --only a,b: just those scenarios (the 10 M tag search takes minutes a run).
const only = flag('only', '').split(',').filter(Boolean);
const list = scenarios(info).filter((s) => only.length === 0 || only.includes(s.id));

// Per-minute rollups (ADR 011) of the closed minutes, as the store's timer makes them; --no-rollups measures without.
const withRollups = !process.argv.includes('--no-rollups');
if (withRollups) {
  const builder = await openDuckDbViewStore({ path: db, rollups: false });
  const t0 = performance.now();
  await builder.rollUp({ fromMs: info.fromMs - 3_600_000, toMs: info.toMs + 3_600_000 });
  console.error(`rollups: ${((performance.now() - t0) / 1000).toFixed(1)} s to roll up what was not rolled up yet`);
  await builder.close();
}

// Each run goes through the gateway (recording the view queries it issues), then the same
// queries run straight on the store, one after the other: the two share the machine's noise.
const store = await openDuckDbViewStore({ path: db, rollups: false });
let recording: ViewQuery[] = [];
const spy: ViewStore = { ...store, query: (q) => (recording.push(q), store.query(q)) };
const run = buildGraphqlExecutor({ store: spy, defaultTenant: TENANT, logger: pino({ level: 'silent' }), queryTimeoutMs: 120_000 });
const gateway = new Map<string, { p50: number; p95: number }>();
const raw = new Map<string, { p50: number; p95: number }>();
const first = new Map<string, { p50: number; p95: number }>();
const sqlOf = new Map<string, string[]>();
// A server runs for hours: before the trace-by-id runs, batches for other traces warm its JIT
// and DuckDB's index nodes, not the row groups the runs then read.
const warmups = Number(flag('warmup', '30'));
/** The batch through the gateway, timed; `suffix` makes the texts new (parsed and validated again). */
async function throughGateway(id: string, ops: string[], suffix = ''): Promise<number> {
  const t0 = performance.now();
  const answers = await Promise.all(ops.map((query) => run({ query: query + suffix }, TENANT, 'POST')));
  const t = performance.now() - t0;
  for (const a of answers) if (a.errors) throw new Error(`${id}: ${JSON.stringify(a.errors)}`);
  return t;
}
for (const s of list) {
  const g: number[] = [];
  const r: number[] = [];
  const f: number[] = [];
  // Warm-ups on the traces past the measured ones (none when the list is too short to spare any).
  const spare = info.traceIds.length - runs;
  if (s.firstLook && spare > 0) for (let k = 0; k < warmups; k++) await throughGateway(s.id, s.ops(runs + (k % spare)));
  // A first look needs each measured trace unread: no warm-up runs on them.
  for (let i = s.firstLook ? 0 : -2; i < runs; i++) {
    const ops = s.ops(Math.max(0, i));
    const tf = s.firstLook ? await throughGateway(s.id, ops) : 0;
    recording = [];
    const tg = await throughGateway(s.id, ops, s.firstLook ? ' ' : '');
    const queries = recording;
    const t0 = performance.now();
    for (const q of queries) await store.query(q);
    const tr = performance.now() - t0;
    if (i < 0) continue;
    g.push(tg);
    r.push(tr);
    if (s.firstLook) f.push(tf);
    if (i === 0) sqlOf.set(s.id, queries.map((q) => renderQuery(q).sql));
  }
  gateway.set(s.id, stats(g));
  raw.set(s.id, stats(r));
  if (s.firstLook) first.set(s.id, stats(f));
}
run.close();
await store.close();
if (process.argv.includes('--sql')) for (const [id, sqls] of sqlOf) console.log(`${id}:\n  ${sqls.join('\n  ')}`);

const figures: Figure[] = [];
for (const s of list) {
  const g = gateway.get(s.id)!;
  const r = raw.get(s.id)!;
  figures.push(
    { id: `${prefix}.${s.id}.raw`, label: `${s.label}: same SQL direct, p50`, value: r.p50, unit: 'ms', better: 'lower' },
    { id: `${prefix}.${s.id}.p50`, label: `${s.label}: gateway p50${s.goalMs ? ` (goal ${s.goalMs})` : ''}`, value: g.p50, unit: 'ms', ceiling: `${prefix}.${s.id}.raw`, better: 'lower' },
    { id: `${prefix}.${s.id}.p95`, label: `${s.label}: gateway p95`, value: g.p95, unit: 'ms', better: 'lower' },
    { id: `${prefix}.${s.id}.rawp95`, label: `${s.label}: same SQL direct, p95`, value: r.p95, unit: 'ms', better: 'lower' },
  );
  const f = first.get(s.id);
  if (f) {
    figures.push(
      { id: `${prefix}.${s.id}.first50`, label: `${s.label}: gateway first look (cold row groups), p50`, value: f.p50, unit: 'ms', better: 'lower' },
      { id: `${prefix}.${s.id}.first95`, label: `${s.label}: gateway first look (cold row groups), p95`, value: f.p95, unit: 'ms', better: 'lower' },
    );
  }
}
report(`Query latency: DuckDB, ${info.spans.toLocaleString('en-US')} spans, ${runs} runs each${withRollups ? '' : ', no rollups'}`, figures);
