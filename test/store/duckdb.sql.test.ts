// The DuckDB renderer keeps every value out of the SQL text, and hostile values still match
// exactly what they say when run against a real store.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderQuery } from '../../src/store/duckdb/sql.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import type { ViewQuery } from '../../src/store/query.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { traceRows } from '../../src/views/rows.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';

const HOSTILE = [`x'; DROP TABLE "spanEventView"; --`, `a"b`, `back\\slash`, `%_? :p`, `ünï "code" '`];

t.test('values never appear in the SQL text, only as parameters', async (t) => {
  for (const v of HOSTILE) {
    const q: ViewQuery = {
      view: 'spanEventView', tenant: v, limit: 5,
      select: [{ as: 'm', ref: { column: 'tags', key: v } }],
      where: [
        { op: 'eq', ref: { column: 'service_name' }, value: v },
        { op: 'in', ref: { column: 'tags', key: v }, values: [v, `${v}2`] },
        { op: 'regex', ref: { column: 'event_name' }, pattern: v },
        { op: 'containsKey', column: 'tags', key: v },
      ],
      orderBy: [{ ref: { column: 'tags', key: v }, direction: 'DESC' }],
      withTotal: true,
    };
    const r = renderQuery(q);
    t.notOk(r.sql.includes(v), `the rows SQL holds no ${JSON.stringify(v)}`);
    t.notOk(r.count!.sql.includes(v), `the count SQL holds no ${JSON.stringify(v)}`);
    t.ok(r.params.includes(v), 'the value travels as a parameter');
    const placeholders = new Set([...r.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    t.same([...placeholders].sort((a, b) => a - b), r.params.map((_, i) => i + 1), 'every parameter has its placeholder');
  }
});

t.test('hostile values and map keys match exactly in a real store', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-duckdb-sql-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'v.duckdb') });
  t.teardown(() => store.close());
  const spans = HOSTILE.map((v, i) =>
    makeSpan({ tenant: v, traceId: 'c3'.repeat(16), spanId: hexId(i + 1), serviceName: v, attributes: { [v]: v, plain: 'p' } }),
  );
  await store.replaceTraces(spans.map((s) => traceRows(assembleTrace([s]))));
  for (const [i, v] of HOSTILE.entries()) {
    const r = await store.query({
      view: 'spanEventView', tenant: v, limit: 10, withTotal: true,
      select: [{ as: 'id', ref: { column: 'span_id' } }, { as: 'm', ref: { column: 'tags', key: v } }],
      where: [{ op: 'eq', ref: { column: 'service_name' }, value: v }, { op: 'containsKey', column: 'tags', key: v }],
    });
    t.same(r.rows, [{ id: hexId(i + 1), m: v }], `tenant, column and map key ${JSON.stringify(v)}`);
  }
});
