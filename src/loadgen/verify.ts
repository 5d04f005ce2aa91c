// The loss detector: asks Tessera's GraphQL API for every acknowledged trace of a manifest
// and sorts what is wrong into lost (absent), split (more than one trace row for one id),
// incomplete (fewer spans than sent) and excess (more spans than sent: duplicates counted).

import { TesseraError, unavailable } from '../errors.ts';
import { isAcknowledged, type Manifest, type TraceRecord } from './manifest.ts';

export interface VerifyOptions {
  graphqlUrl: string;
  tenant: string | null;
  /** Trace ids per query. */
  chunk: number;
  requestTimeoutMs: number;
}

export interface TraceProblem {
  traceId: string;
  expected: number;
  /** numSpans of each row returned for the id (several rows = split). */
  found: number[];
}

export interface VerifyReport {
  /** Traces checked: those fully acknowledged by the receiver. */
  checked: number;
  /** Generated traces left out because some span was refused or never acknowledged. */
  notAcknowledged: number;
  lost: TraceProblem[];
  split: TraceProblem[];
  incomplete: TraceProblem[];
  excess: TraceProblem[];
  ok: boolean;
}

const HOUR_MS = 3_600_000;

function tracesQuery(records: readonly TraceRecord[], limit: number, offset: number): string {
  let min = Infinity;
  let max = -Infinity;
  for (const r of records) {
    min = Math.min(min, r.startUs);
    max = Math.max(max, r.endUs);
  }
  // Generous bounds: the id filter selects, the range only has to contain every trace.
  const start = new Date(Math.floor(min / 1000) - HOUR_MS).toISOString();
  const end = new Date(Math.ceil(max / 1000) + HOUR_MS).toISOString();
  const ids = JSON.stringify(records.map((r) => r.traceId));
  return `{ traces(type: TRACE, between: {startTime: "${start}", endTime: "${end}"}, `
    + `filterBy: [{operator: IN, value: ${ids}, type: ID, idScope: "TRACE"}], limit: ${limit}, offset: ${offset}) `
    + '{ results { id numSpans: attribute(expression: {key: "numSpans"}) } total } }';
}

interface TracesAnswer {
  data?: { traces?: { results: Array<{ id: string; numSpans: unknown }>; total: number } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function postQuery(query: string, opts: VerifyOptions): Promise<NonNullable<NonNullable<TracesAnswer['data']>['traces']>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (opts.tenant !== null) headers['x-tenant-id'] = opts.tenant;
  let res: Response;
  try {
    res = await fetch(opts.graphqlUrl, {
      method: 'POST', headers, body: JSON.stringify({ query }), signal: AbortSignal.timeout(opts.requestTimeoutMs),
    });
  } catch (err) {
    throw unavailable(`verify: GraphQL at ${opts.graphqlUrl} unreachable (${(err as Error).message})`);
  }
  const text = await res.text();
  let body: TracesAnswer;
  try {
    body = JSON.parse(text) as TracesAnswer;
  } catch {
    throw unavailable(`verify: GraphQL answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (body.errors !== undefined && body.errors.length > 0) {
    const e = body.errors[0];
    throw new TesseraError('BAD_QUERY', `verify: GraphQL error ${e.extensions?.code ?? ''}: ${e.message}`);
  }
  const traces = body.data?.traces;
  if (traces === undefined) throw unavailable(`verify: GraphQL answered ${res.status} without data.traces`);
  return traces;
}

/** numSpans of every row the store holds for these traces, keyed by trace id. */
async function rowsFor(records: readonly TraceRecord[], opts: VerifyOptions): Promise<Map<string, number[]>> {
  const rows = new Map<string, number[]>();
  // Room for split rows; the gateway's own maximum is 10 000.
  const limit = Math.min(10_000, Math.max(records.length * 4, 100));
  for (let offset = 0; ; offset += limit) {
    const page = await postQuery(tracesQuery(records, limit, offset), opts);
    for (const r of page.results) {
      const id = r.id.toLowerCase();
      let list = rows.get(id);
      if (list === undefined) rows.set(id, (list = []));
      list.push(Number(r.numSpans));
    }
    if (page.results.length < limit || offset + limit >= page.total) break;
  }
  return rows;
}

/** One pass over `records` (all assumed acknowledged). */
export async function checkTraces(records: readonly TraceRecord[], opts: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = { checked: records.length, notAcknowledged: 0, lost: [], split: [], incomplete: [], excess: [], ok: true };
  for (let i = 0; i < records.length; i += opts.chunk) {
    const chunk = records.slice(i, i + opts.chunk);
    const rows = await rowsFor(chunk, opts);
    for (const r of chunk) {
      const found = rows.get(r.traceId) ?? [];
      const problem = { traceId: r.traceId, expected: r.spans, found };
      if (found.length === 0) report.lost.push(problem);
      else if (found.length > 1) report.split.push(problem);
      else if (found[0] < r.spans) report.incomplete.push(problem);
      else if (found[0] > r.spans) report.excess.push(problem);
    }
  }
  report.ok = report.lost.length + report.split.length + report.incomplete.length + report.excess.length === 0;
  return report;
}

export interface VerifyWaitOptions extends VerifyOptions {
  /** Wait this long after the run before the first check (the assembly window). */
  settleMs: number;
  /** Keep re-checking the failing traces until this long after the first check. */
  deadlineMs: number;
  /** Between re-checks. */
  pollMs: number;
  /** Called after each pass with the number of traces still failing. */
  onPass?: (failing: number) => void;
}

const problemsOf = (r: VerifyReport): TraceProblem[] => [...r.lost, ...r.split, ...r.incomplete, ...r.excess];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Checks every acknowledged trace of the manifest; traces still wrong are re-checked every
 * `pollMs` until they are right or `deadlineMs` has passed, since a node may still be
 * assembling or writing them. The report is that of the last pass.
 */
export async function verifyManifest(manifest: Manifest, opts: VerifyWaitOptions): Promise<VerifyReport> {
  const acked = manifest.records.filter(isAcknowledged);
  const notAcknowledged = manifest.records.length - acked.length;
  if (opts.settleMs > 0) await sleep(opts.settleMs);
  const deadline = performance.now() + opts.deadlineMs;
  const byId = new Map(acked.map((r) => [r.traceId, r]));
  let report = await checkTraces(acked, opts);
  opts.onPass?.(problemsOf(report).length);
  while (!report.ok && performance.now() < deadline) {
    await sleep(opts.pollMs);
    const again = problemsOf(report).map((p) => byId.get(p.traceId)).filter((r): r is TraceRecord => r !== undefined);
    report = await checkTraces(again, opts);
    opts.onPass?.(problemsOf(report).length);
  }
  return { ...report, checked: acked.length, notAcknowledged };
}
