// The encode half of columns.ts: a view's rows → column batches, on the thread that built the
// rows. It runs for every span the node stores, so each view gets its own encoder, compiled
// once from the schema: one pass over the rows, each column's property read by its literal
// name. A generic loop that read `row[column]` for every column of every view made those reads
// megamorphic (one inline cache seeing ~150 names and 6 row shapes) and cost ~10 µs a span on
// the main thread, more than the appends it feeds.
import { TesseraError } from '../../errors.ts';
import type { ViewRow, ViewValue } from '../api.ts';
import type { ColumnDef, ViewDef } from '../../views/schema.ts';
import type { EncodedColumn } from './columns.ts';
import { enumMembers } from './ddl.ts';

/** How one column is encoded: its type, or an enum's index when the table stores it as one. */
export interface EncodedAs {
  def: ColumnDef;
  asEnum: boolean;
}

/** Rows after which a text column whose values are nearly all distinct stops looking for repeats. */
export const DEDUPE_PROBE_ROWS = 256;

/** The validity mask of `n` rows, all present: whole 64-bit words, as DuckDB keeps it. */
const allPresent = (n: number): Uint8Array => new Uint8Array(Math.ceil(n / 64) * 8).fill(0xff);

/** The width in bytes DuckDB stores an enum's index in: the smallest unsigned type that holds its dictionary. */
export const enumWidth = (c: ColumnDef): number => {
  const size = enumMembers(c).length;
  return size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
};

interface ListState {
  items: string[];
  starts: Int32Array;
  nulls?: Uint8Array;
}

/** What the compiled code calls for rare paths (errors, bigints, lists). */
function helpers(view: ViewDef, cols: readonly EncodedAs[]) {
  const def = (k: number): ColumnDef => cols[k].def;
  const shown = (v: ViewValue): string => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' ? String(v) : JSON.stringify(v));
  const invalid = (message: string): TesseraError => new TesseraError('INVALID_ARGUMENT', message);
  return {
    allPresent,
    enumIndex: cols.map((c) => (c.asEnum ? new Map(enumMembers(c.def).map((m, i) => [m, i])) : undefined)),
    missing: (k: number) => invalid(`${view.name} row without ${def(k).name}`),
    badEnum: (k: number, v: ViewValue) => invalid(`${view.name}.${def(k).name} holds ${JSON.stringify(v)}, not one of its declared values`),
    notBytes: (k: number, v: ViewValue) => invalid(`${view.name}.${def(k).name} holds a ${typeof v}, not bytes`),
    /** A long past 2^53 as a number, or a bigint: checked, as a BigInt64Array element. */
    bigLong(v: ViewValue, k: number): bigint {
      if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
      if (typeof v === 'bigint' && BigInt.asIntN(64, v) === v) return v;
      throw invalid(`${view.name}.${def(k).name} holds ${shown(v)}, not a 64-bit integer`);
    },
    listStart: (n: number): ListState => ({ items: [], starts: new Int32Array(n + 1) }),
    /** A string list per row; an empty list is stored as NULL and read back as [] (most rows have none). */
    listPut(l: ListState, v: ViewValue, i: number, n: number, k: number): void {
      l.starts[i] = l.items.length;
      if (v == null && def(k).required === true) throw invalid(`${view.name} row without ${def(k).name}`);
      if (v != null && !Array.isArray(v)) throw invalid(`${view.name}.${def(k).name} holds ${JSON.stringify(v)}, not a list of strings`);
      if (v == null || v.length === 0) (l.nulls ??= allPresent(n))[i >> 3] &= ~(1 << (i & 7));
      else for (const s of v) l.items.push(String(s));
    },
    listEnd(l: ListState, n: number): EncodedColumn {
      l.starts[n] = l.items.length;
      return { kind: 'list', items: l.items, starts: l.starts, nulls: l.nulls };
    },
  };
}

/** The compiled encoder's source: declarations, the per-row statements and the result, per column. */
function source(cols: readonly EncodedAs[]): string {
  const decl: string[] = [];
  const row: string[] = [];
  const out: string[] = [];
  const probes: string[] = [];
  cols.forEach(({ def, asEnum }, k) => {
    const read = `v = r[${JSON.stringify(def.name)}];`;
    const onNull = def.required === true ? `throw h.missing(${k});` : `(m${k} ??= h.allPresent(n))[i >> 3] &= ~(1 << (i & 7));`;
    const put = (code: string) => row.push(`${read} if (v == null) { ${onNull} } else { ${code} }`);
    if (asEnum) {
      const width = enumWidth(def);
      const array = width === 1 ? 'Uint8Array' : width === 2 ? 'Uint16Array' : 'Uint32Array';
      decl.push(`const d${k} = new ArrayBuffer(n * ${width}), e${k} = new ${array}(d${k}), x${k} = h.enumIndex[${k}]; let m${k};`);
      put(`at = x${k}.get(v); if (at === undefined) throw h.badEnum(${k}, v); e${k}[i] = at;`);
      out.push(`{ kind: 'fixed', width: ${width}, data: d${k}, nulls: m${k} }`);
      return;
    }
    switch (def.type) {
      case 'long':
        // Two 32-bit halves (little-endian): no BigInt allocated for a safe integer.
        decl.push(`const d${k} = new ArrayBuffer(n * 8), w${k} = new Int32Array(d${k}); let b${k}, m${k};`);
        put(`if (typeof v === 'number' && (t = Math.trunc(v)) >= -9007199254740991 && t <= 9007199254740991) { hi = Math.floor(t / 4294967296); w${k}[2 * i] = t - hi * 4294967296; w${k}[2 * i + 1] = hi; } else (b${k} ??= new BigInt64Array(d${k}))[i] = h.bigLong(v, ${k});`);
        out.push(`{ kind: 'fixed', width: 8, data: d${k}, nulls: m${k} }`);
        return;
      case 'double':
        decl.push(`const d${k} = new ArrayBuffer(n * 8), f${k} = new Float64Array(d${k}); let m${k};`);
        put(`f${k}[i] = typeof v === 'number' ? v : Number(v);`);
        out.push(`{ kind: 'fixed', width: 8, data: d${k}, nulls: m${k} }`);
        return;
      case 'boolean':
        decl.push(`const d${k} = new ArrayBuffer(n), u${k} = new Uint8Array(d${k}); let m${k};`);
        put(`u${k}[i] = v === true || v === 'true' ? 1 : 0;`);
        out.push(`{ kind: 'fixed', width: 1, data: d${k}, nulls: m${k} }`);
        return;
      case 'bytes':
        decl.push(`const y${k} = new Array(n).fill(null); let m${k};`);
        put(`if (!(v instanceof Uint8Array)) throw h.notBytes(${k}, v); y${k}[i] = v;`);
        out.push(`{ kind: 'bytes', values: y${k}, nulls: m${k} }`);
        return;
      case 'string_array':
        decl.push(`const l${k} = h.listStart(n);`);
        row.push(`h.listPut(l${k}, r[${JSON.stringify(def.name)}], i, n, ${k});`);
        out.push(`h.listEnd(l${k}, n)`);
        return;
      default: {
        // Text: each distinct value once (dictionary + index), so a repeated value crosses a
        // thread once; a column of distinct values stops paying for the lookup after a probe.
        const text = def.type === 'string_map' ? 'JSON.stringify(v)' : `typeof v === 'string' ? v : String(v)`;
        decl.push(`const t${k} = [], ix${k} = new Uint32Array(n); let s${k} = new Map(), m${k};`);
        put(`s = ${text}; if (s${k} === undefined) ix${k}[i] = t${k}.push(s) - 1; else { at = s${k}.get(s); if (at === undefined) { at = t${k}.push(s) - 1; s${k}.set(s, at); } ix${k}[i] = at; }`);
        probes.push(`if (t${k}.length > ${(DEDUPE_PROBE_ROWS * 3) / 4}) s${k} = undefined;`);
        out.push(`{ kind: 'text', dict: t${k}, index: ix${k}, nulls: m${k} }`);
      }
    }
  });
  return `return function encodeRows(rows) {
  const n = rows.length;
  let v, t, hi, at, s;
  ${decl.join('\n  ')}
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    ${row.join('\n    ')}
    ${probes.length > 0 ? `if (i === ${DEDUPE_PROBE_ROWS}) { ${probes.join(' ')} }` : ''}
  }
  return [${out.join(', ')}];
};`;
}

/** Compiles the encoder of a view's columns, in the table's order. */
export function compileEncoder(view: ViewDef, cols: readonly EncodedAs[]): (rows: readonly ViewRow[]) => EncodedColumn[] {
  // Column names come from src/views/schema.ts (and a table's own column list, checked against
  // it by the caller), and enter the source only as JSON string literals.
  const make = new Function('h', source(cols)) as (h: ReturnType<typeof helpers>) => (rows: readonly ViewRow[]) => EncodedColumn[];
  return make(helpers(view, cols));
}
