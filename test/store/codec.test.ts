import t from 'tap';
import protobuf from 'protobufjs';
import { decodeSpanBatch, encodeSpanBatch, spanLogRoot } from '../../src/store/codec.ts';
import { TesseraError } from '../../src/errors.ts';
import type { Span } from '../../src/model/span.ts';
import { randomHex, sampleSpans, seededRandom } from './spanlog-fixtures.ts';

const SpanBatch = spanLogRoot.lookupType('tessera.spanlog.v1.SpanBatch');

function span(overrides: Partial<Span> = {}): Span {
  return {
    tenant: 'acme',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: '53995c3f42cd8ad8',
    name: 'GET /dispatch',
    kind: 'SERVER',
    serviceName: 'frontend',
    startUs: 1_760_000_000_123_456,
    endUs: 1_760_000_000_223_456,
    statusCode: 2,
    statusMessage: 'deadline exceeded',
    attributes: { 'http.method': 'GET', 'http.status_code': '504' },
    resource: { 'service.name': 'frontend', 'host.name': 'web-1' },
    events: [{ timeUs: 1_760_000_000_123_500, name: 'exception', attributes: { 'exception.type': 'Timeout' } }],
    links: [
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', refType: 'CHILD_OF' },
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203332', refType: 'FOLLOWS_FROM' },
      { traceId: '00000000000000000000000000000001', spanId: '0000000000000001', refType: 'LINK' },
    ],
    ...overrides,
  };
}

const roundTrip = (spans: Span[]): Span[] => decodeSpanBatch(encodeSpanBatch(spans));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TesseraError ? err.code : `not a TesseraError: ${String(err)}`;
  }
  return undefined;
}

t.test('a batch round-trips every span field', async (t) => {
  const kinds: Span['kind'][] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
  const spans = kinds.map((kind, i) => span({ kind, statusCode: (i % 3) as Span['statusCode'], spanId: `${i}`.repeat(16) }));
  t.same(roundTrip(spans), spans);
  const many = sampleSpans(500, { seed: 7 });
  t.same(roundTrip(many), many);
});

t.test('64-bit times survive: before 1970, up to 2^53 - 1, negative durations', async (t) => {
  const spans = [
    span({ startUs: Number.MAX_SAFE_INTEGER - 5, endUs: Number.MAX_SAFE_INTEGER, events: [] }),
    span({ startUs: -86_400_000_000, endUs: -86_399_999_000 }),
    span({ startUs: 1_760_000_000_000_000, endUs: 1_759_999_999_999_000 }),
    span({ startUs: 0, endUs: 2 ** 52 }),
    span({ startUs: 2 ** 40 + 1, endUs: 2 ** 40 + 1 }),
    span({ events: [{ timeUs: 1_760_000_000_000_000, name: 'before the span', attributes: {} }] }),
  ];
  t.same(roundTrip(spans), spans);
});

t.test('empty maps, empty strings and an empty batch round-trip', async (t) => {
  const bare = span({
    tenant: '',
    parentSpanId: '',
    name: '',
    kind: 'UNSPECIFIED',
    serviceName: '',
    startUs: 0,
    endUs: 0,
    statusCode: 0,
    statusMessage: '',
    attributes: {},
    resource: {},
    events: [{ timeUs: 0, name: '', attributes: {} }],
    links: [],
  });
  t.same(roundTrip([bare]), [bare]);
  t.same(roundTrip([]), []);
  t.same(roundTrip([span({ attributes: { '': '' } })])[0].attributes, { '': '' });
});

t.test('unicode strings survive byte for byte', async (t) => {
  const spans = [
    span({
      tenant: 'テナント',
      serviceName: 'сервис-платежей',
      name: 'GET /café/🍕',
      statusMessage: 'ошибка: 超时',
      attributes: { 'user.name': 'Zoë 𝄞 \u0000 nul', 'emoji.🚀': '👩‍👩‍👧‍👦', 'long.value': 'x'.repeat(70_000) },
      resource: { 'service.name': 'сервис-платежей', 'host.name': 'hôte' },
    }),
  ];
  t.same(roundTrip(spans), spans);
});

t.test('each span keeps its own tenant, service and resource in a batch that dedups them', async (t) => {
  const shared = { 'service.name': 'a', zone: 'eu' };
  const sameContent = { zone: 'eu', 'service.name': 'a' };
  const spans = [
    span({ tenant: 't1', serviceName: 'a', resource: shared }),
    span({ tenant: 't2', serviceName: 'a', resource: shared }),
    span({ tenant: 't1', serviceName: 'a', resource: sameContent }),
    span({ tenant: 't1', serviceName: 'b', resource: shared }),
    span({ tenant: 't1', serviceName: 'a', resource: { 'service.name': 'a', zone: 'us' } }),
  ];
  const decoded = roundTrip(spans);
  t.same(decoded, spans);
  const wire = SpanBatch.toObject(SpanBatch.decode(encodeSpanBatch(spans))) as { sources: unknown[] };
  t.equal(wire.sources.length, 4, 'one source per distinct (tenant, service, resource)');
  t.equal(decoded[0].resource, decoded[2].resource, 'spans of one source share the decoded resource');
  t.ok(Object.isFrozen(decoded[0].resource), 'the shared resource is frozen');
});


t.test('resources seen by an earlier batch dedup the same way in the next one', async (t) => {
  // The content key of a resource object is remembered across batches (one blob per trace).
  const shared = { 'service.name': 'a', zone: 'eu' };
  const other = { 'service.name': 'a', zone: 'us' };
  encodeSpanBatch([span({ resource: shared }), span({ resource: other })]);
  const spans = [
    span({ serviceName: 'a', resource: other }),
    span({ serviceName: 'a', resource: { zone: 'us', 'service.name': 'a' } }),
    span({ serviceName: 'a', resource: shared }),
    span({ serviceName: 'b', resource: shared }),
  ];
  const wire = SpanBatch.toObject(SpanBatch.decode(encodeSpanBatch(spans))) as { sources: unknown[] };
  t.equal(wire.sources.length, 3, 'equal content shares a source, different content or service does not');
  t.same(roundTrip(spans), spans);
});
t.test('the encoding is what protobufjs reads from spanlog.proto, and the other way round', async (t) => {
  const spans = sampleSpans(50, { seed: 11 });
  const wire = SpanBatch.toObject(SpanBatch.decode(encodeSpanBatch(spans)), { longs: Number, bytes: String }) as {
    strings: string[];
    spans: { traceId: string; startUs: number; attributes: number[] }[];
  };
  t.equal(wire.strings[0], '', 'string 0 is the empty string');
  t.equal(wire.spans.length, spans.length);
  t.equal(Buffer.from(wire.spans[3].traceId, 'base64').toString('hex'), spans[3].traceId);
  t.equal(wire.spans[3].startUs, spans[3].startUs);
  const a = wire.spans[3].attributes;
  t.equal(wire.strings[a[0]], Object.keys(spans[3].attributes)[0]);
  t.equal(wire.strings[a[1]], Object.values(spans[3].attributes)[0]);

  // protobufjs' own encoder writes fields in number order (tables first); the codec reads it.
  const reflected = SpanBatch.encode(SpanBatch.fromObject(SpanBatch.toObject(SpanBatch.decode(encodeSpanBatch(spans))))).finish();
  t.same(decodeSpanBatch(reflected), spans);
});

t.test('unpacked repeated numbers and unknown fields are read as proto3 requires', async (t) => {
  const one = span({ events: [], links: [] });
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string('').uint32((1 << 3) | 2).string('k').uint32((1 << 3) | 2).string('v');
  w.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string('acme').ldelim();
  w.uint32((3 << 3) | 2).fork();
  w.uint32((2 << 3) | 2).bytes(Buffer.from(one.traceId, 'hex'));
  w.uint32((11 << 3) | 0).uint32(1).uint32((11 << 3) | 0).uint32(2); // unpacked attribute pair
  w.uint32((99 << 3) | 0).uint32(12345); // a field from the future
  w.uint32((98 << 3) | 2).string('also from the future');
  w.ldelim();
  w.uint32((97 << 3) | 1).fixed64(7); // unknown top-level field
  const [decoded] = decodeSpanBatch(w.finish());
  t.equal(decoded.tenant, 'acme');
  t.equal(decoded.traceId, one.traceId);
  t.same(decoded.attributes, { k: 'v' });
});

t.test('an id that is not hex is refused as INVALID_ARGUMENT', async (t) => {
  t.equal(codeOf(() => encodeSpanBatch([span({ traceId: 'not-a-hex-trace-id-at-all-000000' })])), 'INVALID_ARGUMENT');
  t.equal(codeOf(() => encodeSpanBatch([span({ spanId: '00f067aa0ba902b' })])), 'INVALID_ARGUMENT', 'odd length');
  t.equal(codeOf(() => encodeSpanBatch([span({ links: [{ traceId: 'zz', spanId: '01', refType: 'LINK' }] })])), 'INVALID_ARGUMENT');
});

t.test('bytes that are not a span batch are refused as INVALID_ARGUMENT', async (t) => {
  const good = encodeSpanBatch(sampleSpans(20));
  t.equal(codeOf(() => decodeSpanBatch(good.subarray(0, good.length - 7))), 'INVALID_ARGUMENT', 'truncated');
  t.equal(codeOf(() => decodeSpanBatch(Buffer.from([0x1a, 0x05, 0x08]))), 'INVALID_ARGUMENT', 'length past the end');
  const badIndex = protobuf.Writer.create();
  badIndex.uint32((3 << 3) | 2).fork().uint32((5 << 3) | 0).uint32(42).ldelim();
  t.equal(codeOf(() => decodeSpanBatch(badIndex.finish())), 'INVALID_ARGUMENT', 'string index out of range');
  const badSource = protobuf.Writer.create();
  badSource.uint32((3 << 3) | 2).fork().uint32((1 << 3) | 0).uint32(3).ldelim();
  t.equal(codeOf(() => decodeSpanBatch(badSource.finish())), 'INVALID_ARGUMENT', 'source index out of range');
});

t.test('random realistic batches round-trip, and the codec is fast on the hot path', async (t) => {
  const random = seededRandom(99);
  const batches = Array.from({ length: 40 }, (_, i) =>
    sampleSpans(50 + Math.floor(random() * 100), { seed: i + 1, tenant: randomHex(random, 4) }));
  const spanCount = batches.reduce((n, b) => n + b.length, 0);
  for (let round = 0; round < 3; round++) batches.map(encodeSpanBatch).map(decodeSpanBatch); // warm-up
  const cpu0 = process.cpuUsage();
  const encoded = batches.map(encodeSpanBatch);
  const cpu1 = process.cpuUsage(cpu0);
  const decoded = encoded.map(decodeSpanBatch);
  const cpu2 = process.cpuUsage();
  const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  decoded.forEach((d, i) => t.same(d, batches[i], `batch ${i}`));
  const bytes = encoded.reduce((n, e) => n + e.length, 0);
  const encMs = cpuMs(cpu1);
  const decMs = cpuMs(cpu2) - cpuMs(cpu0) - encMs;
  t.comment(`codec: ${spanCount} spans, ${(bytes / spanCount).toFixed(0)} B/span; ` +
    `encode ${Math.round(spanCount / (encMs / 1000))} spans/s, decode ${Math.round(spanCount / (decMs / 1000))} spans/s (CPU time, one run; see bench/spanlog-codec.ts)`);
  t.ok(bytes / spanCount < 300, 'the string table keeps a realistic span well under 300 bytes');
});
