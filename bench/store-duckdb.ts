// The store figures for bench/run.ts: runs bench/duckdb-write.ts (another engineer's scenario)
// and reports what it returns as figures — spans/s written through replaceTraces against the
// raw-appender ceiling of the same run, and bytes per span on disk.
//   node --import tsx bench/store-duckdb.ts [--json] [--spans 200000]

import { runDuckDbWriteBench } from './duckdb-write.ts';
import { type Figure, report } from './figures.ts';

const i = process.argv.indexOf('--spans');
const totalSpans = i < 0 ? 200_000 : Number(process.argv[i + 1]);

const r = await runDuckDbWriteBench({ totalSpans });
const figures: Figure[] = [
  { id: 'store.ceiling', label: 'DuckDB appender, no index (per CPU-s)', value: r.ceiling.cpu, unit: 'spans/s', better: 'higher' },
  { id: 'store.write', label: 'replaceTraces (per CPU-s)', value: r.replaceTraces.cpu, unit: 'spans/s', ceiling: 'store.ceiling', better: 'higher' },
  { id: 'store.writeWall', label: 'replaceTraces (wall clock)', value: r.replaceTraces.wall, unit: 'spans/s', better: 'higher' },
  { id: 'store.rewrite', label: 'replaceTraces of traces already stored (per CPU-s)', value: r.rewrite.cpu, unit: 'spans/s', ceiling: 'store.ceiling', better: 'higher' },
  { id: 'store.rows', label: 'traceRows: spans to view rows (per CPU-s)', value: r.traceRows.cpu, unit: 'spans/s', better: 'higher' },
  { id: 'store.lookup', label: 'trace-id lookup', value: r.lookupMs, unit: 'ms', better: 'lower' },
  { id: 'store.bytes', label: 'on disk', value: r.bytesPerSpan, unit: 'B/span', better: 'lower' },
];
report(`Store: DuckDB view writes (${r.spans.toLocaleString('en-US')} spans)`, figures);
