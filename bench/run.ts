// `npm run bench`: runs every benchmark scenario several times, each run in a fresh process,
// takes the median of each figure, computes ratios to the ceilings measured in the same run,
// prints them and writes docs/benchmarks.md (date, machine, Node version, figures, ratios).
// Each scenario's results are also kept in docs/benchmarks.json, so a run of some scenarios
// (--only) replaces theirs and keeps the others' last results, each section saying when and at
// what load it was measured.
//   npm run bench -- [--repeats 3] [--only decode,redis,loadgen,spanlog,store,e2e,views,entities,query,query10m,live,cluster] [--quick] [--no-write]

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { type Figure, fmt } from './figures.ts';

interface Scenario {
  id: string;
  title: string;
  /** A script that, given --json, prints its figures as one JSON line last (bench/figures.ts). */
  file: string;
  args: (quick: boolean) => string[];
  /** A binary the scenario needs; skipped (and said so) when absent. */
  needs?: string;
  /**
   * The script repeats itself (`--repeats N`, passed on) and reports each figure's samples: it is
   * run once, because its repeats must alternate and pair up inside one run (bench/live.ts).
   */
  repeatsItself?: boolean;
}

const SCENARIOS: Scenario[] = [
  { id: 'decode', title: 'Decode ceiling', file: 'decode-ceiling.ts', args: (q) => ['--seconds', q ? '1' : '3'] },
  { id: 'redis', title: 'Redis ceiling', file: 'redis-ceiling.ts', needs: 'redis-server', args: (q) => ['--seconds', q ? '1' : '3'] },
  { id: 'loadgen', title: 'Load generator', file: 'loadgen-throughput.ts', args: (q) => ['--seconds', q ? '2' : '5'] },
  { id: 'spanlog', title: 'Span log codec', file: 'spanlog-codec.ts', args: (q) => ['--seconds', q ? '1' : '2'] },
  { id: 'store', title: 'Store: DuckDB view writes', file: 'store-duckdb.ts', args: (q) => ['--spans', q ? '50000' : '200000'] },
  { id: 'e2e', title: 'End to end', file: 'e2e.ts', args: (q) => ['--seconds', q ? '5' : '15'] },
  // Scenarios of other issues that follow the same --json convention (bench/figures.ts).
  { id: 'views', title: 'View writes with enrichment', file: 'views-write.ts', args: (q) => (q ? ['--traces', '1000'] : []) },
  { id: 'entities', title: 'Entity cache', file: 'entity-cache.ts', args: (q) => (q ? ['--warm', '500', '--traces', '2000'] : []) },
  { id: 'query', title: 'Query latency', file: 'query.ts', args: (q) => (q ? ['--spans', '100000', '--runs', '10'] : []) },
  // 10 M spans: the 1 M loadgen set replicated ten times in SQL (bench/queryData.ts); the tag search takes a minute a run, so few runs.
  {
    id: 'query10m', title: 'Query latency at 10 M spans', file: 'query.ts',
    args: (q) => (q ? ['--spans', '100000', '--runs', '5', '--prefix', 'query10m'] : ['--spans', '10000000', '--base', '/tmp/tessera-query-1000000.duckdb', '--runs', '10', '--prefix', 'query10m']),
  },
  // Rounds of a fresh node without and one with 1 000 subscribers, alternating (~80 s a round on a quiet machine).
  { id: 'live', title: 'Live subscriptions', file: 'live.ts', repeatsItself: true, args: (q) => (q ? ['--seconds', '5', '--full-seconds', '5'] : []) },
  { id: 'cluster', title: 'Cluster: nodes, rebalance', file: 'cluster.ts', needs: 'redis-server', args: (q) => ['--seconds', q ? '5' : '12'] },
];

const BENCH = import.meta.dirname;
const DOC = resolve(BENCH, '../docs/benchmarks.md');
const STORE = resolve(BENCH, '../docs/benchmarks.json');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const repeats = Number(flag('repeats') ?? '3');
const only = flag('only')?.split(',');
const quick = process.argv.includes('--quick');
const write = !process.argv.includes('--no-write');

function runOnce(s: Scenario): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const own = s.repeatsItself ? ['--repeats', String(repeats)] : [];
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH, s.file), '--json', ...own, ...s.args(quick)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Summary {
  figure: Figure;
  values: number[];
}

/** A summary's one figure: its median, or its best run where the figure asks for that. */
const typical = (s: Summary): number => {
  if (s.figure.summary !== 'best') return median(s.values);
  return s.figure.better === 'lower' ? Math.min(...s.values) : Math.max(...s.values);
};

interface Result {
  scenario: Scenario;
  summaries: Summary[];
  lastOutput: string;
  skipped?: string;
  /** When and how it was measured: ISO date, load average at its start, repeats, --quick. */
  measured?: { date: string; load: string; repeats: number; quick: boolean };
}

async function runScenario(s: Scenario): Promise<Result> {
  const measured = { date: new Date().toISOString(), load: os.loadavg().map((l) => l.toFixed(1)).join(', '), repeats, quick };
  const result = await measure(s);
  return { ...result, measured };
}

async function measure(s: Scenario): Promise<Result> {
  if (!existsSync(join(BENCH, s.file))) return { scenario: s, summaries: [], lastOutput: '', skipped: `bench/${s.file} is not in the tree yet` };
  if (s.needs !== undefined && spawnSync('which', [s.needs]).status !== 0) {
    return { scenario: s, summaries: [], lastOutput: '', skipped: `${s.needs} is not installed` };
  }
  const byId = new Map<string, Summary>();
  let lastOutput = '';
  const runs = s.repeatsItself ? 1 : repeats;
  for (let r = 0; r < runs; r++) {
    process.stderr.write(`${s.id} ${r + 1}/${runs}${s.repeatsItself ? ` (${repeats} repeats inside)` : ''}… `);
    const { code, stdout, stderr } = await runOnce(s);
    if (code !== 0) return { scenario: s, summaries: [], lastOutput: stdout + stderr, skipped: `exited with code ${code}` };
    const lines = stdout.trimEnd().split('\n');
    let figures: Figure[];
    try {
      figures = (JSON.parse(lines[lines.length - 1]) as { figures: Figure[] }).figures;
    } catch {
      return { scenario: s, summaries: [], lastOutput: stdout + stderr, skipped: 'its last line is not the JSON figures line' };
    }
    lastOutput = lines.slice(0, -1).join('\n');
    for (const f of figures) {
      const summary = byId.get(f.id) ?? { figure: f, values: [] };
      summary.values.push(...(f.samples ?? [f.value]));
      byId.set(f.id, summary);
    }
  }
  process.stderr.write('\n');
  return { scenario: s, summaries: [...byId.values()], lastOutput };
}

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- Written: ${new Date().toISOString()}`,
    `- Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()}`,
    `- Node.js ${process.version}`,
    '- Each scenario ran the given number of times, each in a fresh process (live: that many rounds in one process, each on fresh nodes); figures are medians, [min – max] beside them, except a ceiling marked (best run), which is its best run. Each section says when it was measured and the load average then: a run of some scenarios (`--only`) keeps the others\' last results.',
  ];
}

function ratioOf(s: Summary, medians: Map<string, Summary>): string {
  const ceilingId = s.figure.ceiling;
  if (ceilingId === undefined) return '';
  const c = medians.get(ceilingId);
  if (c === undefined) return `(ceiling ${ceilingId} not measured)`;
  return `${((100 * typical(s)) / typical(c)).toFixed(0)} % of ${c.figure.label}`;
}

function goals(medians: Map<string, Summary>): string[] {
  const v = (id: string): number | undefined => {
    const s = medians.get(id);
    return s === undefined ? undefined : typical(s);
  };
  const row = (goal: string, id: string, target: number, unit: string, better: 'higher' | 'lower'): string => {
    const value = v(id);
    if (value === undefined) return `| ${goal} | not measured | — |`;
    const met = better === 'higher' ? value >= target : value <= target;
    return `| ${goal} | ${fmt(value)} ${unit} | ${met ? 'met' : 'not met'} |`;
  };
  /** The gateway's overhead at 10 M spans: its worst ratio of gateway p50 to the same SQL run directly. */
  const overhead = (): string => {
    const goal = 'issue 5: gateway overhead ≤ 1.5× the raw SQL at 10 M spans (worst scenario, p50)';
    let worst: { ratio: number; label: string } | undefined;
    for (const [id, s] of medians) {
      const m = /^query10m\.(.+)\.p50$/.exec(id);
      const raw = m ? v(`query10m.${m[1]}.raw`) : undefined;
      if (!m || raw === undefined || raw <= 0) continue;
      const ratio = typical(s) / raw;
      if (worst === undefined || ratio > worst.ratio) worst = { ratio, label: s.figure.label.replace(/: gateway p50.*$/, '') };
    }
    if (worst === undefined) return `| ${goal} | not measured | — |`;
    return `| ${goal} | ${worst.ratio.toFixed(2)}× (${worst.label}) | ${worst.ratio <= 1.5 ? 'met' : 'not met'} |`;
  };
  const decode = v('decode.raw');
  const e2e = v('e2e.embedded.perCore');
  const share = decode !== undefined && e2e !== undefined ? `${((100 * e2e) / decode).toFixed(0)} %` : 'not measured';
  /** DuckDB's own cost of storing the view rows, no JavaScript (bench/views-write.ts): a span cannot cost less end to end. */
  const floor = v('duckdb.floor');
  const floorRow = floor === undefined
    ? '| issue 3: the store\'s floor under the per-core goal | not measured | — |'
    : `| issue 3: the store's floor under the per-core goal: DuckDB's own insert of the same view rows, no JavaScript (per batch of 200 traces, indexed, checkpointed; bench/views-write.ts) | ${fmt(floor)} spans/s per CPU-s${decode === undefined ? '' : `, ${((100 * floor) / decode).toFixed(0)} % of the decode ceiling`} | ${floor < 50_000 ? 'below 50 000: the per-core goal is out of reach with DuckDB on this machine' : 'above 50 000'} |`;
  return [
    '| goal | measured (median; a ceiling: its best run) | status |',
    '|---|---|---|',
    row('issue 2: embedded ≥ 20 000 spans/s sent → queryable, zero loss', 'e2e.embedded.rate', 20_000, 'spans/s', 'higher'),
    row('issue 3: end to end ≥ 50 000 spans/s per core (embedded)', 'e2e.embedded.perCore', 50_000, 'spans/s per node CPU-s', 'higher'),
    row('issue 3: the same, paced at half of full speed (embedded; no backlog, no 429s)', 'e2e.embedded.perCorePaced', 50_000, 'spans/s per node CPU-s', 'higher'),
    row('issue 3: per core by tier, paced (Redis, --roles ingest): receive, decode, append to the span log', 'e2e.redis.ingestPerCore', 50_000, 'spans/s per ingest node CPU-s', 'higher'),
    row('issue 3: per core by tier, paced (Redis, --roles process,query): assemble, enrich, write views', 'e2e.redis.processPerCore', 50_000, 'spans/s per process node CPU-s', 'higher'),
    `| issue 3: end to end ≥ 50 % of the decode ceiling (embedded) | ${share} | ${!share.endsWith('%') ? '—' : Number.parseInt(share, 10) >= 50 ? 'met' : 'not met'} |`,
    floorRow,
    row('issue 3: generator ≥ 100 000 spans/s OTLP/HTTP protobuf on one core', 'loadgen.sendCpu', 100_000, 'spans/s per CPU-s', 'higher'),
    row('issue 3: memory per in-flight span ≤ 1 KB (embedded; RSS slope, accepted → written)', 'e2e.embedded.rssPerSpan', 1_024, 'B', 'lower'),
    row('zero loss, verified (embedded, full speed)', 'e2e.embedded.lost', 0, 'traces lost', 'lower'),
    row('zero loss, verified (Redis span log, full speed)', 'e2e.redis.lost', 0, 'traces lost', 'lower'),
    row('issue 6: 1 000 live subscribers cost ≤ 10 % of the ingest rate at 5 000 spans/s (`live.ackCost`: acknowledged spans/s paced at 5 000/s, with vs without)', 'live.ackCost', 10, '%', 'lower'),
    row('issue 5: trace by id + spans p50 ≤ 20 ms at 10 M spans', 'query10m.traceById.p50', 20, 'ms', 'lower'),
    row('issue 5: service/operation/duration search p50 ≤ 50 ms at 10 M spans', 'query10m.search.p50', 50, 'ms', 'lower'),
    row('issue 5: attribute (span tag) search p50 ≤ 300 ms at 10 M spans', 'query10m.tag.p50', 300, 'ms', 'lower'),
    row('issue 5: Q2 p50 ≤ 150 ms at 10 M spans', 'query10m.q2.p50', 150, 'ms', 'lower'),
    overhead(),
    row('issue 4: enrich + view rows ≥ 100 000 spans/s on one core (loadgen traces)', 'views.enrichRows', 100_000, 'spans/s per CPU-s', 'higher'),
    row('issue 4: entity cache hit rate ≥ 99 % in steady state', 'entities.hitRate', 99, '%', 'higher'),
  ];
}

function render(results: Result[]): string {
  const medians = new Map(results.flatMap((r) => r.summaries.map((s) => [s.figure.id, s] as const)));
  const lines = ['# Benchmarks', '', 'Written by `npm run bench` (bench/run.ts); do not edit by hand. How to read and re-run them: [loadgen.md](loadgen.md#benchmarks).', '', ...machine(), '', '## Goals', '', ...goals(medians), ''];
  for (const r of results) {
    lines.push(`## ${r.scenario.title} (bench/${r.scenario.file})`, '');
    const m = r.measured;
    if (m) lines.push(`Measured ${m.date} (load average ${m.load}), ${m.repeats} time${m.repeats === 1 ? '' : 's'}${m.quick ? ', --quick' : ''}.`, '');
    if (r.skipped !== undefined) {
      lines.push(`Not measured: ${r.skipped}.`, '');
      if (r.lastOutput.trim() !== '') lines.push('```', r.lastOutput.trim().slice(-1500), '```', '');
      continue;
    }
    lines.push('| figure | median | [min – max] | unit | ratio to the ceiling |', '|---|---:|---|---|---|');
    for (const s of r.summaries) {
      const range = s.values.length > 1 ? `[${fmt(Math.min(...s.values))} – ${fmt(Math.max(...s.values))}]` : '';
      lines.push(`| ${s.figure.label}${s.figure.summary === 'best' ? ' (best run)' : ''} | ${fmt(typical(s))} | ${range} | ${s.figure.unit} | ${ratioOf(s, medians)} |`);
    }
    lines.push('', '<details><summary>output of the last run</summary>', '', '```', r.lastOutput.trim(), '```', '', '</details>', '');
  }
  return lines.join('\n');
}

const selected = SCENARIOS.filter((s) => only === undefined || only.includes(s.id));
// The last results of every scenario, replaced by this run's for the selected ones.
const kept = new Map<string, Omit<Result, 'scenario'>>();
if (existsSync(STORE)) {
  for (const [id, r] of Object.entries(JSON.parse(readFileSync(STORE, 'utf8')) as Record<string, Omit<Result, 'scenario'>>)) kept.set(id, r);
}
for (const s of selected) {
  const { scenario: _, ...r } = await runScenario(s);
  kept.set(s.id, r);
}
const results: Result[] = SCENARIOS.flatMap((scenario) => {
  const r = kept.get(scenario.id);
  return r ? [{ scenario, ...r }] : [];
});
const doc = render(results);
console.log(doc);
if (write) {
  writeFileSync(DOC, `${doc}\n`);
  writeFileSync(STORE, `${JSON.stringify(Object.fromEntries(kept), null, 1)}\n`);
  console.error(`wrote ${DOC}`);
}
