// One `tessera loadgen` invocation as a function: run the load (or read a manifest), write the
// manifest, verify, and decide the exit code. The CLI and the benchmarks both call this.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asTesseraError } from '../errors.ts';
import { FreshnessProbe, type FreshnessReport } from './freshness.ts';
import { Manifest, type TraceRecord } from './manifest.ts';
import type { LoadgenConfig } from './options.ts';
import { encoderFor, resolveEndpoint, transportFor } from './protocols.ts';
import { buildReport, type LoadReport, progressLine } from './report.ts';
import { LoadRunner, type RunResult } from './runner.ts';
import type { Transport } from './transport/api.ts';
import { type VerifyReport, verifyManifest } from './verify.ts';

export const EXIT_OK = 0;
/** --verify found lost, split, incomplete or excess traces. */
export const EXIT_VERIFY_FAILED = 1;
/** Bad flags, or the verifier could not ask the store. */
export const EXIT_USAGE = 2;
/** Spans were sent and none was acknowledged. */
export const EXIT_NOTHING_ACKED = 3;

export interface LoadgenIo {
  /** Progress lines (a terminal: rewritten in place). */
  progress: (line: string) => void;
  /** Informational messages (verify progress). */
  info: (line: string) => void;
  /** Lets a caller stop the paced phase early (e.g. on SIGINT). */
  onRunner?: (runner: LoadRunner) => void;
  /** Replaces the network transport (tests). */
  transport?: Transport;
}

export interface LoadgenOutcome {
  report: LoadReport | null;
  verify: VerifyReport | null;
  exitCode: number;
}

async function generate(cfg: LoadgenConfig, io: LoadgenIo, probe: FreshnessProbe | null): Promise<RunResult> {
  const transport = io.transport ?? transportFor(cfg.protocol, cfg.endpoint, {
    tenant: cfg.tenant, concurrency: cfg.run.concurrency, timeoutMs: cfg.requestTimeoutMs, gzip: cfg.gzip,
  });
  const run = probe === null ? cfg.run : { ...cfg.run, onTraceAcked: (r: TraceRecord, at: number) => probe.offer(r, at) };
  const runner = new LoadRunner(run, transport, encoderFor(cfg.protocol));
  io.onRunner?.(runner);
  let last = { at: performance.now(), sent: 0 };
  const started = last.at;
  const timer = cfg.progress
    ? setInterval(() => {
      const now = performance.now();
      const c = runner.counters;
      io.progress(progressLine(c, now - started, ((c.spansSent - last.sent) * 1000) / (now - last.at)));
      last = { at: now, sent: c.spansSent };
    }, 1_000)
    : null;
  try {
    return await runner.run();
  } finally {
    if (timer !== null) clearInterval(timer);
    if (io.transport === undefined) await transport.close();
  }
}

export async function runLoadgenConfig(cfg: LoadgenConfig, io: LoadgenIo): Promise<LoadgenOutcome> {
  let result: RunResult | null = null;
  let freshness: FreshnessReport | undefined;
  let manifestPath: string | null = null;
  let manifest: Manifest;
  if (cfg.verifyOnly !== null) {
    manifest = await Manifest.read(cfg.verifyOnly);
  } else {
    const probe = cfg.freshness && cfg.verifyUrl !== null
      ? new FreshnessProbe({
        graphqlUrl: cfg.verifyUrl, tenant: cfg.tenant, chunk: 1, requestTimeoutMs: cfg.requestTimeoutMs,
        everyMs: 250, pollMs: 25, maxActive: 4, giveUpMs: cfg.verifyTimeoutMs,
      })
      : null;
    result = await generate(cfg, io, probe);
    if (probe !== null) freshness = await probe.close();
    manifest = result.manifest ?? new Manifest();
    // --verify always leaves the manifest behind, so a failed check can be re-run or read.
    manifestPath = cfg.manifestPath ?? (cfg.verifyUrl === null ? null : join(tmpdir(), `tessera-loadgen-${Date.now()}-${result.seed}.jsonl`));
    if (manifestPath !== null) await manifest.write(manifestPath);
  }
  let verify: VerifyReport | null = null;
  let exitCode = EXIT_OK;
  if (cfg.verifyUrl !== null) {
    try {
      verify = await verifyManifest(manifest, {
        graphqlUrl: cfg.verifyUrl, tenant: cfg.tenant, chunk: 100, requestTimeoutMs: cfg.requestTimeoutMs,
        settleMs: cfg.verifyOnly !== null ? 0 : cfg.verifySettleMs, deadlineMs: cfg.verifyTimeoutMs, pollMs: 1_000,
        onPass: (failing) => io.info(`verify: ${failing} trace(s) not yet right`),
      });
      if (!verify.ok) exitCode = EXIT_VERIFY_FAILED;
    } catch (err) {
      io.info(`verify: ${asTesseraError(err).code}: ${asTesseraError(err).message}`);
      exitCode = EXIT_USAGE;
    }
  }
  const report = result === null ? null : buildReport(result, {
    protocol: cfg.protocol, endpoint: cfg.protocol === 'otlp-grpc' ? cfg.endpoint : resolveEndpoint(cfg.protocol, cfg.endpoint),
    rate: cfg.run.rate, unit: cfg.run.rateUnit,
  }, verify ?? undefined, freshness);
  if (report !== null && manifestPath !== null) report.manifest = manifestPath;
  if (exitCode === EXIT_OK && report !== null && report.spans.sent > 0 && report.spans.acknowledged === 0) exitCode = EXIT_NOTHING_ACKED;
  return { report, verify, exitCode };
}
