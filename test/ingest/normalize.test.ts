// The normalization rules every decoder shares (DESIGN §3), as tables.

import t from 'tap';
import { randomBytes } from 'node:crypto';
import {
  kindFromName, parentOf, setAttr, statusFromTags, usFromNanoHalves, usFromNanoJson, usFromNanoString,
} from '../../src/ingest/normalize.ts';
import type { Attributes, SpanLink } from '../../src/model/span.ts';

t.test('nanoseconds become whole microseconds exactly, though the nanoseconds pass 2^53', async (t) => {
  // Exact while the microseconds fit a double (2^53 µs: the year 2255).
  const maxNs = 9_007_199_254_740_991_999n;
  const samples = [0n, 999n, 1000n, 1_700_000_000_123_456_789n, maxNs];
  for (let i = 0; i < 200; i++) samples.push(randomBytes(8).readBigUInt64BE() % maxNs);
  for (const ns of samples) {
    const high = Number(ns >> 32n);
    const low = Number(ns & 0xffffffffn);
    const want = Number(ns / 1000n);
    if (usFromNanoHalves(high, low) !== want) t.fail(`halves of ${ns}`);
    if (usFromNanoString(ns.toString()) !== want) t.fail(`string ${ns}`);
  }
  t.pass(`${samples.length} values agree with BigInt division`);
  t.equal(usFromNanoJson('1613406996356635000'), 1613406996356635);
  t.equal(usFromNanoJson(1_500_000), 1500, 'a number is accepted too');
  t.ok(Number.isNaN(usFromNanoJson('12a')), 'not a decimal integer');
  t.ok(Number.isNaN(usFromNanoJson(-5)), 'negative');
});

t.test('span kind from a span.kind tag', async (t) => {
  const table: Array<[string | undefined, string]> = [
    ['client', 'CLIENT'], ['SERVER', 'SERVER'], ['producer', 'PRODUCER'], ['Consumer', 'CONSUMER'],
    ['internal', 'INTERNAL'], ['rpc', 'UNSPECIFIED'], [undefined, 'UNSPECIFIED'], ['constructor', 'UNSPECIFIED'],
  ];
  for (const [tag, kind] of table) t.equal(kindFromName(tag), kind, `${tag} → ${kind}`);
});

t.test('status from tags: otel.status_code first, then the error tag', async (t) => {
  const table: Array<[Attributes, number, string]> = [
    [{}, 0, ''],
    [{ error: 'true' }, 2, ''],
    [{ error: 'false' }, 0, ''],
    [{ error: 'timeout talking to redis' }, 2, 'timeout talking to redis'],
    [{ 'otel.status_code': 'ERROR', 'otel.status_description': 'boom' }, 2, 'boom'],
    [{ 'otel.status_code': 'OK', error: 'true' }, 1, ''],
    [{ 'otel.status_code': 'UNSET', error: 'true' }, 2, ''],
  ];
  for (const [tags, code, message] of table) t.same(statusFromTags(tags), { code, message }, JSON.stringify(tags));
});

t.test('the parent is the first CHILD_OF into the same trace, else the first FOLLOWS_FROM', async (t) => {
  const trace = 'a'.repeat(32);
  const other = 'b'.repeat(32);
  const link = (traceId: string, spanId: string, refType: SpanLink['refType']): SpanLink => ({ traceId, spanId, refType });
  t.equal(parentOf(trace, []), '');
  t.equal(parentOf(trace, [link(trace, '1'.repeat(16), 'FOLLOWS_FROM'), link(trace, '2'.repeat(16), 'CHILD_OF')]), '2'.repeat(16));
  t.equal(parentOf(trace, [link(trace, '1'.repeat(16), 'FOLLOWS_FROM')]), '1'.repeat(16));
  t.equal(parentOf(trace, [link(other, '3'.repeat(16), 'CHILD_OF')]), '', 'a reference into another trace is not a parent');
  t.equal(parentOf(trace, [link(trace, '4'.repeat(16), 'LINK')]), '', 'an OTLP link is not a parent');
});

t.test('attribute keys are lower-cased and __proto__ stays a plain key', async (t) => {
  const attrs: Attributes = {};
  setAttr(attrs, 'HTTP.Method', 'GET');
  setAttr(attrs, '__PROTO__', 'x');
  t.same(Object.keys(attrs), ['http.method', '__proto__']);
  t.equal(Object.getPrototypeOf(attrs), Object.prototype, 'the prototype is untouched');
  t.equal(JSON.stringify(attrs), '{"http.method":"GET","__proto__":"x"}');
});
