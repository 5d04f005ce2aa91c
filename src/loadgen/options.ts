// `tessera loadgen` flags → one validated configuration, once, at start-up. Every problem is a
// CONFIG error whose message names the flag.

import { TesseraError } from '../errors.ts';
import { NO_FAULTS } from './feed.ts';
import { DEFAULT_GENERATOR } from './generator.ts';
import { DEFAULT_ENDPOINT, PROTOCOLS, type Protocol } from './protocols.ts';
import type { RunOptions } from './runner.ts';

/** Flags as commander hands them over (strings, booleans, or undefined when absent). */
export type RawFlags = Record<string, string | boolean | undefined>;

export interface LoadgenConfig {
  protocol: Protocol;
  endpoint: string;
  tenant: string | null;
  run: RunOptions;
  requestTimeoutMs: number;
  gzip: boolean;
  json: boolean;
  progress: boolean;
  /** Write the manifest here after the run. */
  manifestPath: string | null;
  /** GraphQL URL to verify against, or null. */
  verifyUrl: string | null;
  /** Verify this manifest file instead of generating load. */
  verifyOnly: string | null;
  verifySettleMs: number;
  verifyTimeoutMs: number;
  /** Sample traces during the run and time them from sent to queryable (needs verifyUrl). */
  freshness: boolean;
}

const bad = (flag: string, why: string): TesseraError => new TesseraError('CONFIG', `--${flag}: ${why}`);

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "30s", "500ms", "2m", "1h", or a bare number of seconds → milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (m === null) throw bad(flag, `"${text}" is not a duration (use e.g. 30s, 500ms, 2m)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']);
}

function num(flags: RawFlags, flag: string, fallback: number, check: (v: number) => boolean, rule: string): number {
  const raw = flags[flag];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw bad(flag, `"${String(raw)}" must be ${rule}`);
  return v;
}

const int = (flags: RawFlags, flag: string, fallback: number, min: number): number =>
  num(flags, flag, fallback, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
const fraction = (flags: RawFlags, flag: string, fallback: number): number =>
  num(flags, flag, fallback, (v) => v >= 0 && v <= 1, 'a fraction between 0 and 1');

function duration(flags: RawFlags, flag: string, fallback: number): number {
  const raw = flags[flag];
  return typeof raw === 'string' ? parseDuration(flag, raw) : fallback;
}

function text(flags: RawFlags, flag: string): string | null {
  const raw = flags[flag];
  return typeof raw === 'string' && raw !== '' ? raw : null;
}

function url(flag: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return value;
  } catch {
    throw bad(flag, `"${value}" is not an http(s) URL`);
  }
}

export function compileOptions(flags: RawFlags, isTty: boolean): LoadgenConfig {
  const protocol = (text(flags, 'protocol') ?? 'otlp-http-proto') as Protocol;
  if (!PROTOCOLS.includes(protocol)) throw bad('protocol', `"${protocol}" is not one of ${PROTOCOLS.join(', ')}`);
  const endpointRaw = text(flags, 'endpoint') ?? DEFAULT_ENDPOINT[protocol];
  const endpoint = protocol === 'otlp-grpc' && !/^https?:\/\//.test(endpointRaw) ? `http://${endpointRaw}` : endpointRaw;
  url('endpoint', endpoint);
  const rateUnit = text(flags, 'rate-unit') ?? 'spans';
  if (rateUnit !== 'spans' && rateUnit !== 'traces') throw bad('rate-unit', `"${rateUnit}" must be spans or traces`);
  const seedText = text(flags, 'seed');
  const seed = seedText === null ? Math.floor(Math.random() * 2 ** 31) : /^\d+$/.test(seedText) ? Number(seedText) : seedText;
  const verifyUrl = text(flags, 'verify');
  const manifestPath = text(flags, 'manifest');
  const verifyOnly = text(flags, 'verify-only');
  if (verifyOnly !== null && verifyUrl === null) throw bad('verify-only', 'needs --verify GRAPHQL_URL');
  if (flags.freshness === true && verifyUrl === null) throw bad('freshness', 'needs --verify GRAPHQL_URL');
  const window = duration(flags, 'late-after', NO_FAULTS.lateAfterMs);

  const run: RunOptions = {
    rate: num(flags, 'rate', 1_000, (v) => v >= 0, 'a number ≥ 0 (0 = as fast as possible)'),
    rateUnit,
    durationMs: duration(flags, 'duration', 10_000),
    rampMs: duration(flags, 'ramp', 0),
    batchSpans: int(flags, 'batch', 512, 1),
    concurrency: int(flags, 'concurrency', 4, 1),
    maxRetries: int(flags, 'max-retries', 5, 0),
    lingerMs: duration(flags, 'linger', 200),
    maxBackoffMs: duration(flags, 'max-backoff', 5_000),
    keepManifest: verifyUrl !== null || manifestPath !== null,
    generator: {
      seed,
      services: int(flags, 'services', DEFAULT_GENERATOR.services, 1),
      apisPerService: int(flags, 'apis', DEFAULT_GENERATOR.apisPerService, 1),
      depth: int(flags, 'depth', DEFAULT_GENERATOR.depth, 1),
      attributes: int(flags, 'attributes', DEFAULT_GENERATOR.attributes, 0),
      errorRate: fraction(flags, 'error-rate', DEFAULT_GENERATOR.errorRate),
      eventRate: fraction(flags, 'event-rate', DEFAULT_GENERATOR.eventRate),
      latencyScale: num(flags, 'latency-scale', 1, (v) => v > 0, 'a number > 0'),
      clockSkewUs: duration(flags, 'clock-skew', 0) * 1000,
    },
    faults: {
      lateFraction: fraction(flags, 'late-spans', 0),
      lateAfterMs: window,
      duplicateFraction: fraction(flags, 'duplicates', 0),
      outOfOrder: flags['out-of-order'] === true,
      hugeTrace: int(flags, 'huge-trace', 0, 0),
    },
  };
  if (run.durationMs <= 0) throw bad('duration', 'must be longer than 0');

  return {
    protocol, endpoint, run,
    tenant: text(flags, 'tenant'),
    requestTimeoutMs: duration(flags, 'timeout', 10_000),
    gzip: flags.gzip === true,
    json: flags.json === true,
    progress: flags.progress === undefined ? isTty : flags.progress === true,
    manifestPath,
    verifyUrl: verifyUrl === null ? null : url('verify', verifyUrl),
    verifyOnly,
    verifySettleMs: duration(flags, 'verify-settle', 6_000),
    verifyTimeoutMs: duration(flags, 'verify-timeout', 60_000),
    freshness: flags.freshness === true,
  };
}
