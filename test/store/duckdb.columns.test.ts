// The column encoder and appender (src/store/duckdb/columns.ts): every column type, its nulls
// and edge values, read back through SQL; appends in slices and across data chunks; a batch
// that crossed a thread boundary (structured clone with its buffers moved) appends the same.
import t, { type Test } from 'tap';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ViewRow } from '../../src/store/api.ts';
import { columnCodec, transferables } from '../../src/store/duckdb/columns.ts';
import { createViewStatements } from '../../src/store/duckdb/ddl.ts';
import type { ViewDef } from '../../src/views/schema.ts';

const MANY = Array.from({ length: 300 }, (_, i) => `m${String(i).padStart(3, '0')}`);
const view: ViewDef = {
  name: 'columns_probe',
  timeColumn: 'at_ms',
  timeUnit: 'ms',
  tenantColumn: 'tenant_id',
  traceColumn: 'trace_id',
  lookupColumns: [],
  columns: [
    { name: 'tenant_id', type: 'string', required: true },
    { name: 'trace_id', type: 'string', required: true },
    { name: 'at_ms', type: 'long' },
    { name: 'ratio', type: 'double' },
    { name: 'flag', type: 'boolean' },
    { name: 'kind', type: 'string', values: ['ENTRY', 'EXIT'] },
    { name: 'wide', type: 'string', values: MANY },
    { name: 'tags', type: 'string_map' },
    { name: 'ids', type: 'string_array' },
    { name: 'blob', type: 'bytes' },
  ],
};

async function table(t: Test, def: ViewDef = view): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  t.teardown(() => {
    conn.closeSync();
    instance.closeSync();
  });
  for (const sql of createViewStatements(def)) await conn.run(sql);
  return conn;
}

async function readBack(conn: DuckDBConnection): Promise<Record<string, unknown>[]> {
  const r = await conn.runAndReadAll(
    `SELECT trace_id, at_ms::VARCHAR AS at_ms, ratio, flag, kind::VARCHAR AS kind, wide::VARCHAR AS wide, tags, ids, blob FROM ${view.name} ORDER BY trace_id`,
  );
  return r.getRowObjectsJS() as Record<string, unknown>[];
}

const row = (i: number, extra: Partial<ViewRow> = {}): ViewRow => ({ tenant_id: 'acme', trace_id: `t${String(i).padStart(5, '0')}`, ...extra });

t.test('each column type, with nulls and edge values, reads back as written', async (t) => {
  const conn = await table(t);
  const rows: ViewRow[] = [
    row(0, { at_ms: -1, ratio: 0.25, flag: true, kind: 'EXIT', wide: 'm299', tags: { a: '1', 'b"q': 'x\ny' }, ids: ['x', 'y'], blob: new Uint8Array([0, 255, 7]) }),
    row(1, { at_ms: 2 ** 53 - 1, ratio: -1e300, flag: 'true', kind: 'ENTRY', wide: 'm000', tags: {}, ids: [] }),
    row(2, { at_ms: -(2n ** 63n), flag: false }),
    row(3, { at_ms: 2n ** 63n - 1n, ratio: 3 }),
    row(4, { at_ms: 12.9, ids: ['only'] }),
    row(5, { at_ms: -(2 ** 40) - 5 }),
  ];
  const codec = columnCodec(view);
  const ap = await conn.createAppender(view.name);
  codec.append(ap, codec.encode(rows));
  ap.closeSync();
  const back = await readBack(conn);
  t.same(back.map((r) => r.at_ms), ['-1', String(2 ** 53 - 1), String(-(2n ** 63n)), String(2n ** 63n - 1n), '12', String(-(2 ** 40) - 5)], 'longs: negative, past 2^53 as bigint, both int64 ends, truncated');
  t.same(back.map((r) => r.ratio), [0.25, -1e300, null, 3, null, null], 'doubles and nulls');
  t.same(back.map((r) => r.flag), [true, true, false, null, null, null], 'booleans (the text "true" too) and nulls');
  t.same(back.map((r) => r.kind), ['EXIT', 'ENTRY', null, null, null, null], 'a one-byte enum');
  t.same(back.map((r) => r.wide), ['m299', 'm000', null, null, null, null], 'an enum of 300 members (two bytes)');
  t.same(back.map((r) => (r.tags === null ? null : JSON.parse(String(r.tags)))), [{ a: '1', 'b"q': 'x\ny' }, {}, null, null, null, null], 'maps as JSON text');
  t.same(back.map((r) => r.ids), [['x', 'y'], null, null, null, ['only'], null], 'string lists; an empty one is stored as null');
  t.same(back.map((r) => (r.blob instanceof Uint8Array ? [...r.blob] : r.blob)), [[0, 255, 7], null, null, null, null, null], 'bytes');
});

t.test('slices and chunks: 5 000 rows appended from row 1 024 on, nulls on both sides of chunk edges', async (t) => {
  const conn = await table(t);
  const rows = Array.from({ length: 5000 }, (_, i) => row(i, i % 7 === 0 ? { ids: [`a${i}`, `b${i}`] } : { at_ms: i * 1000, kind: i % 2 ? 'ENTRY' : 'EXIT', tags: { i: String(i) } }));
  const codec = columnCodec(view);
  const batch = codec.encode(rows);
  const ap = await conn.createAppender(view.name);
  codec.append(ap, batch, 0, 1024);
  ap.flushSync();
  codec.append(ap, batch, 1024);
  ap.closeSync();
  const back = await readBack(conn);
  t.equal(back.length, 5000);
  const wrong = back.filter((r, i) =>
    i % 7 === 0
      ? r.at_ms !== null || r.kind !== null || JSON.stringify(r.ids) !== JSON.stringify([`a${i}`, `b${i}`])
      : r.at_ms !== String(i * 1000) || r.kind !== (i % 2 ? 'ENTRY' : 'EXIT') || r.ids !== null || JSON.parse(String(r.tags)).i !== String(i),
  );
  t.same(wrong.slice(0, 3), [], 'every row as written');
  t.throws(() => codec.append(ap, batch, 100), /multiple of 64/, 'a slice must start on a validity word');
});

t.test('a batch moved to another thread (structured clone, buffers transferred) appends the same', async (t) => {
  const conn = await table(t);
  const codec = columnCodec(view);
  const batch = codec.encode([row(1, { at_ms: 5, kind: 'EXIT', ids: ['z'] }), row(2, { ratio: 1.5, blob: new Uint8Array([9]) })]);
  const transfer = transferables(batch);
  t.ok(transfer.length >= 4, 'fixed columns, list starts and null masks are transferable');
  const moved = structuredClone(batch, { transfer });
  t.equal(transfer[0].byteLength, 0, 'the sender no longer holds the moved buffers');
  const ap = await conn.createAppender(view.name);
  codec.append(ap, moved);
  ap.closeSync();
  const back = await readBack(conn);
  t.same(back.map((r) => [r.at_ms, r.kind, r.ids, r.ratio]), [['5', 'EXIT', ['z'], null], [null, null, null, 1.5]]);
});

t.test('bad values are refused with an error naming the view, column and value', async (t) => {
  const codec = columnCodec(view);
  const refused = (rows: ViewRow[], pattern: RegExp, what: string) =>
    t.throws(() => codec.encode(rows), { code: 'INVALID_ARGUMENT', message: pattern }, what);
  refused([{ tenant_id: 'acme' }], /columns_probe row without trace_id/, 'a required column missing');
  refused([row(1, { kind: 'SIDEWAYS' })], /columns_probe\.kind holds "SIDEWAYS", not one of its declared values/, 'an enum value outside its set');
  refused([row(1, { at_ms: 'soon' })], /columns_probe\.at_ms holds "soon", not a 64-bit integer/, 'text in a long column');
  refused([row(1, { at_ms: Infinity })], /columns_probe\.at_ms holds Infinity, not a 64-bit integer/, 'an infinite long');
  refused([row(1, { at_ms: 2n ** 64n })], /columns_probe\.at_ms holds 18446744073709551616n, not a 64-bit integer/, 'a bigint past int64');
  refused([row(1, { ids: 'x' as never })], /columns_probe\.ids holds "x", not a list of strings/, 'a list column given text');
  refused([row(1, { blob: 'x' })], /columns_probe\.blob holds a string, not bytes/, 'a bytes column given text');
});

t.test('text: inline, long and repeated values, each chunk holding its own copy of a long value', async (t) => {
  // fillText writes short ASCII values into the slots itself, assigns each distinct long value
  // natively once per chunk and copies that slot to the rows repeating it; these values sit on
  // each side of the 12-byte inline limit, are non-ASCII, empty, null, and repeat across the
  // 2 048-row chunk edge (a slot must not point into another chunk's heap).
  const textView: ViewDef = { ...view, name: 'text_probe', columns: [view.columns[0], view.columns[1], { name: 'note', type: 'string' }] };
  const conn = await table(t, textView);
  const values = ['', 'short', 'exactly12byt', 'thirteen byte', 'héllo', '🙂', 'a long value shared by many rows across the chunk edge', 'ünïcödé and longer than twelve'];
  const noteOf = (i: number): string | null => (i % 11 === 5 ? null : i % 13 === 0 ? `distinct long value number ${i}` : values[i % values.length]);
  const rows = Array.from({ length: 4500 }, (_, i) => {
    const note = noteOf(i);
    return { tenant_id: 'acme', trace_id: `t${String(i).padStart(5, '0')}`, ...(note === null ? {} : { note }) };
  });
  const codec = columnCodec(textView);
  const ap = await conn.createAppender(textView.name);
  codec.append(ap, codec.encode(rows), 64);
  ap.closeSync();
  const back = (await conn.runAndReadAll(`SELECT trace_id, note FROM ${textView.name} ORDER BY trace_id`)).getRowObjectsJS();
  t.equal(back.length, 4500 - 64);
  const wrong = back.filter((r, k) => r.note !== noteOf(k + 64));
  t.same(wrong.slice(0, 3), [], 'every value, null and empty string read back as written');
  const distinct = await conn.runAndReadAll(`SELECT count(DISTINCT note) FROM ${textView.name}`);
  t.equal(Number(distinct.getRows()[0][0]), new Set(rows.slice(64).map((r) => r.note).filter((n) => n !== undefined)).size, 'as many distinct values as written');
});
