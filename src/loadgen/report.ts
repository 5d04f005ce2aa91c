// What a run tells its user: a progress line every second on a terminal, and a final report
// as text or JSON (same fields).

import type { FreshnessReport } from './freshness.ts';
import type { RunResult } from './runner.ts';
import type { RunCounters } from './stats.ts';
import type { VerifyReport } from './verify.ts';

export interface LoadReport {
  protocol: string;
  endpoint: string;
  seed: number | string;
  target: { rate: number; unit: 'spans' | 'traces' };
  durationSec: number;
  elapsedSec: number;
  traces: number;
  spans: { sent: number; acknowledged: number; rejected: number; failed: number; duplicates: number; late: number };
  requests: { sent: number; acknowledged: number; rejected: number; failed: number; retried: number };
  /** Retryable answers by code (each one retried or, after the last retry, failed). */
  retryableAnswers: Record<string, number>;
  rejectionsByCode: Record<string, number>;
  achieved: { spansPerSec: number; tracesPerSec: number };
  exportLatencyMs: { p50: number; p99: number; max: number };
  bytesSent: number;
  /** Where the manifest of generated traces was written (--manifest, or always with --verify). */
  manifest?: string;
  /** Sent → queryable with every span, for sampled traces (--freshness). */
  freshnessMs?: { samples: number; p50: number; p99: number; max: number; timedOut: number };
  verify?: VerifyReport;
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

export function buildReport(
  result: RunResult,
  ctx: { protocol: string; endpoint: string; rate: number; unit: 'spans' | 'traces' },
  verify?: VerifyReport,
  freshness?: FreshnessReport,
): LoadReport {
  const c = result.counters;
  const sec = Math.max(result.pacedMs, 1) / 1000;
  const report: LoadReport = {
    protocol: ctx.protocol, endpoint: ctx.endpoint, seed: result.seed,
    target: { rate: ctx.rate, unit: ctx.unit },
    durationSec: round(result.pacedMs / 1000, 3), elapsedSec: round(result.elapsedMs / 1000, 3),
    traces: c.tracesGenerated,
    spans: { sent: c.spansSent, acknowledged: c.spansAcked, rejected: c.spansRejected, failed: c.spansFailed,
      duplicates: c.spansDuplicated, late: c.spansLate },
    requests: { sent: c.requestsSent, acknowledged: c.requestsAcked, rejected: c.requestsRejected, failed: c.requestsFailed, retried: c.retries },
    retryableAnswers: Object.fromEntries(c.retryable), rejectionsByCode: Object.fromEntries(c.rejections),
    achieved: { spansPerSec: round(result.spansSentPaced / sec), tracesPerSec: round(result.tracesPaced / sec) },
    exportLatencyMs: { p50: round(c.latency.quantile(0.5), 2), p99: round(c.latency.quantile(0.99), 2), max: round(c.latency.max, 2) },
    bytesSent: c.bytesSent,
  };
  if (freshness !== undefined) {
    report.freshnessMs = { samples: freshness.samples, p50: round(freshness.p50Ms), p99: round(freshness.p99Ms),
      max: round(freshness.maxMs), timedOut: freshness.timedOut };
  }
  if (verify !== undefined) report.verify = verify;
  return report;
}

const n = (v: number): string => v.toLocaleString('en-US');

export function progressLine(c: RunCounters, elapsedMs: number, spansPerSec: number): string {
  return `${(elapsedMs / 1000).toFixed(0).padStart(4)}s  ${n(Math.round(spansPerSec)).padStart(9)} spans/s  `
    + `acked ${n(c.spansAcked)}  rejected ${n(c.spansRejected)}  retried ${n(c.retries)}  `
    + `failed ${n(c.spansFailed)}  in flight ${c.inFlight}`;
}

export function verifyText(v: VerifyReport): string[] {
  const lines = [`verify: ${v.ok ? 'OK' : 'FAILED'}: ${n(v.checked)} acknowledged traces checked`
    + (v.notAcknowledged > 0 ? ` (${n(v.notAcknowledged)} not fully acknowledged, not checked)` : '')];
  const show = (label: string, list: VerifyReport['lost']): void => {
    if (list.length === 0) return;
    lines.push(`  ${label}: ${n(list.length)}`);
    for (const p of list.slice(0, 10)) lines.push(`    ${p.traceId} expected ${p.expected} spans, found ${p.found.length === 0 ? 'nothing' : p.found.join(' + ')}`);
    if (list.length > 10) lines.push(`    … ${n(list.length - 10)} more`);
  };
  show('lost', v.lost);
  show('split', v.split);
  show('incomplete', v.incomplete);
  show('excess', v.excess);
  return lines;
}

export function reportText(r: LoadReport): string {
  const codes = (m: Record<string, number>): string =>
    Object.keys(m).length === 0 ? 'none' : Object.entries(m).map(([k, v]) => `${k}×${n(v)}`).join(' ');
  const lines = [
    `loadgen ${r.protocol} → ${r.endpoint}  seed ${r.seed}`,
    `  target     ${n(r.target.rate)} ${r.target.unit}/s for ${r.durationSec}s (whole run ${r.elapsedSec}s)`,
    `  achieved   ${n(r.achieved.spansPerSec)} spans/s, ${n(r.achieved.tracesPerSec)} traces/s`,
    `  traces     ${n(r.traces)}`,
    `  spans      sent ${n(r.spans.sent)}  acknowledged ${n(r.spans.acknowledged)}  rejected ${n(r.spans.rejected)}`
      + `  failed ${n(r.spans.failed)}  (duplicates ${n(r.spans.duplicates)}, late ${n(r.spans.late)})`,
    `  requests   sent ${n(r.requests.sent)}  acknowledged ${n(r.requests.acknowledged)}  rejected ${n(r.requests.rejected)}`
      + `  failed ${n(r.requests.failed)}  retried ${n(r.requests.retried)}`,
    `  retryable  ${codes(r.retryableAnswers)};  rejections ${codes(r.rejectionsByCode)}`,
    `  latency    export p50 ${r.exportLatencyMs.p50} ms, p99 ${r.exportLatencyMs.p99} ms, max ${r.exportLatencyMs.max} ms`,
    `  bytes      ${n(r.bytesSent)} (${r.spans.sent === 0 ? 0 : Math.round(r.bytesSent / r.spans.sent)} B/span)`,
  ];
  if (r.manifest !== undefined) lines.push(`  manifest   ${r.manifest}`);
  if (r.freshnessMs !== undefined) {
    const f = r.freshnessMs;
    lines.push(`  freshness  sent → queryable p50 ${f.p50} ms, p99 ${f.p99} ms, max ${f.max} ms (${f.samples} samples, ${f.timedOut} timed out)`);
  }
  if (r.verify !== undefined) lines.push(...verifyText(r.verify));
  return lines.join('\n');
}
