import { DuckDBInstance } from '@duckdb/node-api';
const file = process.argv[2];
const info = JSON.parse((await import('node:fs')).readFileSync(`${file}.info.json`, 'utf8'));
const inst = await DuckDBInstance.create(file);
const c = await inst.connect();
const N = 15;
async function time(label: string, sql: string, params: any[] = []) {
  await c.runAndReadAll(sql, params);
  const ts: number[] = [];
  for (let i = 0; i < N; i++) { const t0 = performance.now(); await c.runAndReadAll(sql, params); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  console.log(label.padEnd(40), ts[N >> 1].toFixed(2), 'ms');
}
const id = info.traceIds[7];
const lo = BigInt(info.fromMs - 3600000), hi = BigInt(info.toMs + 3600000);
for (let k = 0; k < 2; k++) {
  await time('spans by id, param', `SELECT span_id, tags FROM "spanEventView" WHERE "tenant_id" = $1 AND "start_time_millis" >= $2 AND "start_time_millis" < $3 AND "trace_id" = $4`, ['__default', lo, hi, id]);
  await time('spans by id, literal', `SELECT span_id, tags FROM "spanEventView" WHERE "tenant_id" = $1 AND "start_time_millis" >= $2 AND "start_time_millis" < $3 AND "trace_id" = '${id}'`, ['__default', lo, hi]);
}
const h0 = BigInt(info.toMs - 3600000), h1 = BigInt(info.toMs);
await time('rows in last hour (rawServiceView)', `SELECT count(*) FROM "rawServiceView" WHERE start_time_millis >= $1 AND start_time_millis < $2`, [h0, h1]);
for (const fn of ['quantile_cont(duration_millis, 0.99)', 'approx_quantile(duration_millis, 0.99)', 'avg(duration_millis)']) {
  await time(fn, `SELECT service_id, ${fn}, sum(num_calls), sum(error_count) FROM "rawServiceView" WHERE tenant_id = $1 AND start_time_millis >= $2 AND start_time_millis < $3 AND service_id IS NOT NULL GROUP BY service_id`, ['__default', h0, h1]);
}
