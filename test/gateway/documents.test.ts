// The gateway's document cache: a shape validated once is checked again only by the rules that
// read literal values, and those still reject bad values; errors point into the text.
import t from 'tap';
import { parse, specifiedRules, type ValidationContext } from 'graphql';
import { documentCache, shapeOf } from '../../src/gateway/documents.ts';
import { schema } from '../../src/gateway/schema.ts';

const between = (from: string) => `between: {startTime: "${from}", endTime: "2023-11-14T22:13:20.000Z"}`;
const traces = (id: string, opts: { limit?: string; type?: string; from?: string; alias?: string } = {}) =>
  `${opts.alias ?? 'traces'}: traces(type: ${opts.type ?? 'TRACE'}, limit: ${opts.limit ?? '1'}, ${between(opts.from ?? '2023-11-14T20:13:20.000Z')}, filterBy: [{operator: EQUALS, value: "${id}", type: ID, idScope: "TRACE"}]) { results { id d: attribute(expression: {key: "duration"}) } }`;

t.test('shapes: equal when only literal values differ, apart otherwise', async (t) => {
  const shape = (q: string) => shapeOf(parse(q, { noLocation: true }));
  const a = shape(`{ ${traces('a1')} }`);
  t.equal(shape(`{ ${traces('b2', { limit: '7', type: 'API_TRACE', from: '2020-01-01T00:00:00Z' })} }`), a, 'ids, numbers, enums and times');
  t.equal(shapeOf(parse(`{ ${traces('a1')} }`)), a, 'locations play no part');
  t.not(shape(`{ ${traces('a1', { alias: 'other' })} }`), a, 'an alias');
  t.not(shape(`{ ${traces('a1', { limit: '"1"' })} }`), a, 'a literal of another kind');
  t.not(shape(`{ ${traces('a1', { limit: 'null' })} }`), a, 'null');
  t.not(shape(`{ ${traces('a1').replace('d: attribute', 'e: attribute')} }`), a, 'a selection');
  t.not(shape(`query Q($n: Int) { ${traces('a1', { limit: '$n' })} }`), a, 'a variable');
});

t.test('full validation runs once per shape; new texts of it pass', async (t) => {
  let fullRuns = 0;
  const counting = (_ctx: ValidationContext) => ({ Document: () => void fullRuns++ });
  const documentOf = documentCache(schema, [...specifiedRules, counting]);
  for (let i = 0; i < 5; i++) {
    const doc = documentOf(`{ ${traces(`id${i}`, { limit: String(i + 1) })} }`);
    t.notOk(Array.isArray(doc), `text ${i} is valid`);
  }
  t.equal(fullRuns, 1, 'the structural rules ran for the first text only');
  documentOf(`{ ${traces('again', { alias: 'x' })} }`);
  t.equal(fullRuns, 2, 'a new shape is validated in full');
});

t.test('a known shape with a bad value is still rejected, with locations', async (t) => {
  const documentOf = documentCache(schema, specifiedRules);
  t.notOk(Array.isArray(documentOf(`{ ${traces('a')} }`)), 'the shape is known');
  const badEnum = documentOf(`{ ${traces('b', { type: 'NOT_A_TYPE' })} }`);
  t.ok(Array.isArray(badEnum), 'an enum value outside the type');
  const errors = badEnum as readonly { message: string; locations?: unknown[] }[];
  t.match(errors[0].message, /NOT_A_TYPE/);
  t.ok((errors[0].locations ?? []).length > 0, 'the error points into the text');
  const badTime = documentOf(`{ ${traces('c', { from: 'not a time' })} }`);
  t.ok(Array.isArray(badTime), 'a custom scalar that does not parse');

  // Two fields under one response name must ask alike: that depends on the values.
  const twice = (l1: string, l2: string) => `{ ${traces('x', { alias: 'a', limit: l1 })} ${traces('x', { alias: 'a', limit: l2 })} }`;
  t.notOk(Array.isArray(documentOf(twice('1', '1'))), 'the same arguments merge');
  t.ok(Array.isArray(documentOf(twice('1', '2'))), 'other arguments under one name conflict');
});

t.test('a syntax error is reported, and cached like any text', async (t) => {
  const documentOf = documentCache(schema, specifiedRules);
  const r = documentOf('{ traces(');
  t.ok(Array.isArray(r));
  t.match((r as readonly { message: string }[])[0].message, /Syntax Error/);
  t.equal(documentOf('{ traces('), r, 'the same answer from the cache');
});
