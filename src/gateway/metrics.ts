// Metric aggregations of the contract (MetricAggregationType) as plan aggregates: which ones an
// attribute supports, their defaults (PERCENTILE without a size is p99, AVGRATE per second)
// and the values the gateway finishes itself (AVGRATE = SUM / (window seconds / rate seconds),
// over the whole time range or one series interval). Also the slot keys under which entity,
// edge and explore rows hold each requested value.
import { TesseraError } from '../errors.ts';
import type { Aggregate } from '../store/query.ts';
import { aggregationAllowed, type AggregationType, type AttributeCatalog, type AttributeDef, type ScopeDef } from './catalog.ts';
import { refOf } from './planner.ts';

export type TimeUnit = 'MILLISECONDS' | 'SECONDS' | 'MINUTES' | 'HOURS' | 'DAYS';
export const TIME_UNITS: readonly TimeUnit[] = ['MILLISECONDS', 'SECONDS', 'MINUTES', 'HOURS', 'DAYS'];
const UNIT_MS: Record<TimeUnit, number> = { MILLISECONDS: 1, SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 };

export const DEFAULT_PERCENTILE = 99;

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);
const unsupported = (message: string): TesseraError => new TesseraError('UNSUPPORTED_AGGREGATION', message);

/** An interval (`size` `units`) in milliseconds; BAD_QUERY unless it is a positive whole number of ms. */
export function intervalMs(size: unknown, units: unknown, what: string): number {
  const unit = UNIT_MS[units as TimeUnit];
  if (unit === undefined) throw bad(`${what}: units must be one of ${TIME_UNITS.join(', ')}`);
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) throw bad(`${what}: size must be a positive integer, got ${String(size)}`);
  return size * unit;
}

/** One aggregation of one attribute, as a request names it. */
export interface MetricRequest {
  key: string;
  subpath?: string;
  aggregation: AggregationType;
  /** PERCENTILE: the percentile; AVGRATE: the rate period's size. */
  size?: number;
  /** AVGRATE: the rate period's units. */
  units?: TimeUnit;
}

/** The key a requested metric value is found under in a row. */
export function metricSlot(m: MetricRequest): string {
  const size = m.aggregation === 'PERCENTILE' ? (m.size ?? DEFAULT_PERCENTILE) : m.aggregation === 'AVGRATE' ? (m.size ?? 1) : '';
  const units = m.aggregation === 'AVGRATE' ? (m.units ?? 'SECONDS') : '';
  return [m.key, m.subpath ?? '', m.aggregation, size, units].join('\u0000');
}

/** The key of one series (`series(size, units)` of one attribute) in a row. */
export const seriesSlot = (key: string, subpath: string | undefined, size: number, units: string): string =>
  [key, subpath ?? '', size, units].join('\u0000');

/** A planned aggregate and how to turn its stored value into the served one. */
export interface PlannedMetric {
  aggregate: Aggregate;
  def: AttributeDef;
  /** `windowMs`: the span AVGRATE averages over (the time range, or a series interval). */
  finish(stored: unknown, windowMs: number): unknown;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : Number(v));

const FNS: Record<Exclude<AggregationType, 'AVGRATE'>, Aggregate['fn']> = {
  COUNT: 'count',
  SUM: 'sum',
  MIN: 'min',
  MAX: 'max',
  AVG: 'avg',
  PERCENTILE: 'percentile',
  DISTINCTCOUNT: 'distinctCount',
  DISTINCT_ARRAY: 'distinctArray',
};

/** One metric request as an aggregate named `as`; BAD_QUERY when the attribute does not support it. */
export function planMetric(cat: AttributeCatalog, scope: ScopeDef, m: MetricRequest, as: string): PlannedMetric {
  const def = cat.attribute(scope.scope, m.key);
  const what = `${m.aggregation} of ${scope.scope}.${m.key}`;
  if (!aggregationAllowed(def, m.aggregation)) {
    throw unsupported(`unsupported aggregation: ${m.aggregation} is not supported for ${scope.scope}.${m.key} (${def.type}); it supports ${['COUNT', ...def.supportedAggregations.filter((x) => x !== 'COUNT')].join(', ')}`);
  }
  if (m.aggregation === 'COUNT') return { def, aggregate: { as, fn: 'count' }, finish: num };
  // A map entry is a string: only counts and distinct values apply to it.
  const ref = refOf(cat, def, m.subpath, what);
  if (m.subpath !== undefined && !['DISTINCTCOUNT', 'DISTINCT_ARRAY'].includes(m.aggregation)) throw unsupported(`unsupported aggregation: ${what} on a map entry`);
  switch (m.aggregation) {
    case 'AVGRATE': {
      const periodMs = intervalMs(m.size ?? 1, m.units ?? 'SECONDS', `${what} period`);
      return {
        def,
        aggregate: { as, fn: 'sum', ref },
        finish: (v, windowMs) => {
          const sum = num(v);
          return sum === null ? null : sum / (windowMs / periodMs);
        },
      };
    }
    case 'PERCENTILE': {
      const p = m.size ?? DEFAULT_PERCENTILE;
      if (typeof p !== 'number' || !(p > 0 && p <= 100)) throw bad(`${what}: size ${String(p)} is not a percentile in (0, 100]`);
      return { def, aggregate: { as, fn: 'percentile', ref, percentile: p }, finish: num };
    }
    case 'DISTINCT_ARRAY':
      return { def, aggregate: { as, fn: 'distinctArray', ref }, finish: (v) => (Array.isArray(v) ? v : []) };
    default:
      return { def, aggregate: { as, fn: FNS[m.aggregation], ref }, finish: num };
  }
}

/** The AttributeType a metric value has (explore's `Selection.type`). */
export function metricType(def: AttributeDef, agg: AggregationType): string {
  switch (agg) {
    case 'COUNT':
    case 'DISTINCTCOUNT':
      return 'LONG';
    case 'DISTINCT_ARRAY':
      return def.type === 'LONG' ? 'LONG_ARRAY' : def.type === 'DOUBLE' ? 'DOUBLE_ARRAY' : def.type === 'BOOLEAN' ? 'BOOLEAN_ARRAY' : 'STRING_ARRAY';
    case 'SUM':
    case 'MIN':
    case 'MAX':
      return def.type;
    default:
      return 'DOUBLE';
  }
}
