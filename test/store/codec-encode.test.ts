// The hand-written SpanBatch writer (src/store/codec/encode.ts) against protobufjs' reflection
// encoder: every span and source it writes must be the canonical encoding protobufjs gives the
// same message (minimal varints and lengths, fields in number order, defaults left out), the
// tables must follow the spans, and loadgen traces must round-trip through decodeSpanBatch.
import t, { type Test } from 'tap';
import protobuf from 'protobufjs';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import type { Span } from '../../src/model/span.ts';
import { decodeSpanBatch, encodeSpanBatch, spanLogRoot } from '../../src/store/codec.ts';
import { MAX_CHARS, MAX_SLOTS } from '../../src/store/codec/stringTable.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';

const SpanType = spanLogRoot.lookupType('tessera.spanlog.v1.Span');
const SourceType = spanLogRoot.lookupType('tessera.spanlog.v1.SpanSource');

/** Top-level fields of a SpanBatch as (field number, raw value bytes), in the order written. */
function topLevel(bytes: Uint8Array): { field: number; value: Uint8Array }[] {
  const r = protobuf.Reader.create(bytes);
  const out: { field: number; value: Uint8Array }[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if ((tag & 7) !== 2) throw new Error(`field ${tag >>> 3} is not length-delimited`);
    out.push({ field: tag >>> 3, value: r.bytes() });
  }
  return out;
}

/** Checks one encoded batch field by field against protobufjs; returns how many differ. */
function differences(t: Test, bytes: Uint8Array, label: string): number {
  let bad = 0;
  let last = 0;
  for (const { field, value } of topLevel(bytes)) {
    // spans (3) first, then sources (2), then strings (1)
    const rank = field === 3 ? 0 : field === 2 ? 1 : 2;
    if (rank < last) bad++;
    last = rank;
    if (field === 1) continue;
    const type = field === 3 ? SpanType : SourceType;
    const message = type.decode(value);
    const defaults = writtenDefaults(type, message, 0);
    if (defaults.length > 0 && bad++ === 0) t.fail(`${label}: field ${field} carries default values`, { defaults });
    const canonical = type.encode(message).finish();
    if (!Buffer.from(canonical).equals(Buffer.from(value))) {
      if (bad++ === 0) t.fail(`${label}: field ${field} is not protobufjs' encoding`, { found: Buffer.from(value).toString('hex'), wanted: Buffer.from(canonical).toString('hex') });
    }
  }
  return bad;
}

/**
 * Fields present on the wire with their default value (proto3 leaves those out), nested
 * messages included. The start time is the exception: it is always written, as it always was.
 * (An empty repeated field cannot be told from an absent one here: the decoder makes both [].)
 */
function writtenDefaults(type: protobuf.Type, message: protobuf.Message, depth: number): string[] {
  const out: string[] = [];
  const m = message as unknown as Record<string, unknown>;
  for (const f of type.fieldsArray) {
    if (!Object.hasOwn(m, f.name) || f.name === 'startUs') continue;
    const v = m[f.name];
    if (f.repeated && Array.isArray(v)) {
      const nested = f.resolve().resolvedType;
      if (nested instanceof protobuf.Type && depth < 2) for (const item of v) out.push(...writtenDefaults(nested, item as protobuf.Message, depth + 1));
      continue;
    }
    const long = typeof v === 'object' && v !== null && 'low' in v ? (v as unknown as { low: number; high: number }) : undefined;
    const isDefault = v === 0 || v === '' || (v instanceof Uint8Array && v.length === 0) || (long !== undefined && long.low === 0 && long.high === 0);
    if (isDefault) out.push(f.name);
  }
  return out;
}

function loadgenTraces(n: number): Span[][] {
  const gen = new TraceGenerator({ seed: 17 });
  return Array.from({ length: n }, (_, i) => {
    const spans = decodeOtlpProto(encodeOtlpProto(gen.next(1_760_000_000_000_000 + i * 1000).spans), '__default').spans;
    return assembleTrace(decodeSpanBatch(encodeSpanBatch(spans))).spans;
  });
}

t.test('loadgen traces encode as protobufjs would and round-trip', async (t) => {
  const traces = loadgenTraces(300);
  let bad = 0;
  for (let i = 0; i < traces.length; i++) {
    const bytes = encodeSpanBatch(traces[i]);
    bad += differences(t, bytes, `trace ${i}`);
    if (i < 50) t.same(decodeSpanBatch(bytes), traces[i], `trace ${i} round-trips`);
  }
  t.equal(bad, 0, 'every span and source is the canonical encoding, tables after the spans');
  const merged = traces.slice(0, 100).flat(); // many sources and a large string table
  t.equal(differences(t, encodeSpanBatch(merged), 'merged'), 0);
  t.same(decodeSpanBatch(encodeSpanBatch(merged)), merged);
});

t.test('lengths past one varint byte, big and negative durations stay canonical', async (t) => {
  const [base] = loadgenTraces(1)[0];
  const many = Object.fromEntries(Array.from({ length: 200 }, (_, j) => [`k${j}`, `value ${j}`]));
  const spans: Span[] = [
    { ...base, attributes: { ...base.attributes, long: 'x'.repeat(300), longer: 'y'.repeat(20_000) } },
    { ...base, statusMessage: 'ü'.repeat(5000), events: [{ timeUs: base.startUs - 5e12, name: 'e', attributes: many }] },
    { ...base, resource: { ...base.resource, big: 'r'.repeat(200) }, serviceName: 'other' },
    ...[2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 2 ** 52, -(2 ** 52)].map(
      (d) => ({ ...base, endUs: base.startUs + d }),
    ),
  ];
  const bytes = encodeSpanBatch(spans);
  t.equal(differences(t, bytes, 'edge cases'), 0);
  t.same(decodeSpanBatch(bytes), spans);
});

t.test('a refused id leaves the next batch unharmed', async (t) => {
  const [trace] = loadgenTraces(1);
  t.throws(() => encodeSpanBatch([trace[0], { ...trace[1], spanId: 'zz'.repeat(8) }]));
  t.same(decodeSpanBatch(encodeSpanBatch(trace)), trace);
});

t.test('table strings near the 40-unit switch, non-ASCII ones and 3-byte indexes stay canonical', async (t) => {
  const [base] = loadgenTraces(1)[0];
  const odd = ['a'.repeat(39), 'b'.repeat(40), 'é'.repeat(39), '€'.repeat(39), '😀'.repeat(19), '\ud800x', 'x\udc00', '€'.repeat(40)];
  const attributes = Object.fromEntries(odd.map((v, j) => [`odd${j}`, v]));
  // 20 000 distinct values: indexes past 16 383 take three varint bytes.
  const spans: Span[] = [{ ...base, attributes }];
  for (let j = 0; j < 100; j++) {
    spans.push({ ...base, attributes: Object.fromEntries(Array.from({ length: 200 }, (_, m) => [`k${m}`, `v${j}-${m}`])) });
  }
  const bytes = encodeSpanBatch(spans);
  t.equal(differences(t, bytes, 'table'), 0);
  t.same(decodeSpanBatch(bytes)[0].attributes['odd0'], odd[0]);
  t.same(decodeSpanBatch(bytes)[100].attributes['k199'], 'v99-199');
});

/** The string table of a batch as written: field 1 entries, in order. */
const tableOf = (bytes: Uint8Array): string[] =>
  topLevel(bytes).filter((f) => f.field === 1).map((f) => Buffer.from(f.value).toString('utf8'));

/**
 * The table a batch must have, worked out on its own: '' first, then each string at its first
 * use (span name, attribute keys and values, event names and attributes, span by span, then the
 * resources of the distinct sources). Spans here share their resource objects per service.
 */
function expectedTable(spans: readonly Span[]): string[] {
  const order = [''];
  const seen = new Set(order);
  const use = (s: string) => {
    if (!seen.has(s)) {
      seen.add(s);
      order.push(s);
    }
  };
  const pairs = (attrs: Record<string, string>) => {
    for (const k in attrs) {
      use(k);
      use(attrs[k]);
    }
  };
  const sources = new Map<string, Record<string, string>>();
  for (const s of spans) {
    if (s.name !== '') use(s.name);
    pairs(s.attributes);
    for (const e of s.events) {
      if (e.name !== '') use(e.name);
      pairs(e.attributes);
    }
    const key = JSON.stringify([s.tenant, s.serviceName, Object.entries(s.resource).sort()]);
    if (!sources.has(key)) sources.set(key, s.resource);
  }
  for (const r of sources.values()) pairs(r);
  return order;
}

t.test('the string table kept between batches never leaks a string into a later batch, past its bounds too', async (t) => {
  const traces = loadgenTraces(60);
  const [base] = traces[0];
  // More distinct strings than the table keeps across batches, then more characters.
  const manyStrings: Span[] = [{ ...base, attributes: Object.fromEntries(Array.from({ length: MAX_SLOTS }, (_, m) => [`many${m}`, `value-${m}`])) }];
  const manyChars: Span[] = ['p', 'q', 'r'].map((c) => ({ ...base, attributes: { big: c.repeat(Math.ceil(MAX_CHARS / 2)) } }));
  const refused: Span[] = [traces[1][0], { ...traces[1][1], spanId: 'zz'.repeat(8) }];
  const sequence: Span[][] = [...traces.slice(0, 20), manyStrings, ...traces.slice(20, 30), manyChars, ...traces.slice(30, 40), refused, ...traces.slice(40), ...traces.slice(0, 10)];
  let checked = 0;
  for (const spans of sequence) {
    if (spans === refused) {
      t.throws(() => encodeSpanBatch(spans));
      continue;
    }
    const table = tableOf(encodeSpanBatch(spans));
    const expected = expectedTable(spans);
    const same = table.length === expected.length && table.every((s, i) => s === expected[i]);
    if (!same) t.fail(`batch ${checked}: table differs`, { extra: table.filter((s) => !expected.includes(s)).slice(0, 5), length: table.length, wanted: expected.length });
    checked++;
  }
  t.equal(checked, sequence.length - 1, 'every batch has exactly its own strings, in first-use order');
});
