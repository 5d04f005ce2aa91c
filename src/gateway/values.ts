// Attribute values across the GraphQL edge: filter values in (typed by the catalog, ids
// normalized) and stored values out (numbers for LONG/DOUBLE, epoch ms for times, objects
// for maps, ISO strings for TIMESTAMP).
import { TesseraError } from '../errors.ts';
import { normalizeSpanId, normalizeTraceId } from '../model/span.ts';
import type { Scalar } from '../store/query.ts';
import type { AttributeDef } from './catalog.ts';

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);

/** Epoch milliseconds from a number, a numeric string or an ISO-8601 date-time. */
export function epochMsOf(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const s = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return ms;
  }
  throw bad(`${what}: ${JSON.stringify(value)} is not a time (epoch ms or ISO-8601)`);
}

/** ISO-8601 with microseconds, as Hypertrace serves log-event timestamps. */
export function isoFromEpochNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const micros = (ns / 1000n) % 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, -1)}${(micros < 0n ? 0n : micros).toString().padStart(3, '0')}Z`;
}

function idValue(def: AttributeDef, raw: string): string {
  const id = def.format === 'traceId' ? normalizeTraceId(raw.trim()) : normalizeSpanId(raw.trim());
  if (id === '') throw bad(`${def.key}: ${JSON.stringify(raw)} is not a hex ${def.format === 'traceId' ? 'trace' : 'span'} id`);
  return id;
}

/**
 * One filter value as the attribute's column compares it. `exact` is false for LIKE, whose
 * value is a pattern, not an id or a time to normalize.
 */
export function filterValue(def: AttributeDef, value: unknown, exact = true): Scalar {
  const what = `filter on ${def.key}`;
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') throw bad(`${what}: expected a single value, got ${JSON.stringify(value)}`);
  switch (def.type) {
    case 'LONG':
    case 'DOUBLE': {
      if (def.format === 'epochMs') return epochMsOf(value, what);
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${what}: ${JSON.stringify(value)} is not a number`);
      return n;
    }
    case 'TIMESTAMP':
      return BigInt(Math.round(epochMsOf(value, what) * 1000)) * 1000n;
    case 'BOOLEAN':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      throw bad(`${what}: ${JSON.stringify(value)} is not true or false`);
    default: {
      const s = String(value);
      if (exact && (def.format === 'traceId' || def.format === 'spanId')) return idValue(def, s);
      return s;
    }
  }
}

/** A stored value as GraphQL serves it for this attribute (a map entry when `subpath`). */
export function outputValue(def: AttributeDef, stored: unknown, subpath?: string): unknown {
  if (stored === null || stored === undefined) return null;
  if (subpath !== undefined) return stored;
  switch (def.type) {
    case 'LONG':
    case 'DOUBLE':
      return typeof stored === 'bigint' ? Number(stored) : stored;
    case 'TIMESTAMP':
      return isoFromEpochNs(typeof stored === 'bigint' ? stored : BigInt(Math.round(Number(stored))));
    default:
      return stored;
  }
}
