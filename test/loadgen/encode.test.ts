import t from 'tap';
import { decodeOtlpJson } from '../../src/ingest/otlp-json.ts';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { decodeZipkinJson } from '../../src/ingest/zipkin-json.ts';
import { encodeOtlpJson } from '../../src/loadgen/encode/otlp-json.ts';
import { encodeOtlpProto, encodeOtlpProtoReflect } from '../../src/loadgen/encode/otlp-proto.ts';
import { encodeZipkin } from '../../src/loadgen/encode/zipkin.ts';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import { attrText, type GenSpan, str } from '../../src/loadgen/model.ts';
import type { Span } from '../../src/model/span.ts';

const T0 = 1_750_000_000_000_000;

function batches(seed: number, traces: number, size: number): GenSpan[][] {
  const gen = new TraceGenerator({ seed, errorRate: 0.1, eventRate: 0.3 });
  const all = Array.from({ length: traces }, (_, i) => gen.next(T0 + i * 997)).flatMap((tr) => tr.spans);
  const out: GenSpan[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** What every protocol must carry across unchanged. */
function essentials(s: Span): unknown {
  return [s.traceId, s.spanId, s.parentSpanId, s.name, s.serviceName, s.startUs, s.endUs, s.statusCode];
}
const genEssentials = (s: GenSpan): unknown =>
  [s.traceId, s.spanId, s.parentSpanId, s.name, s.resource.serviceName, s.startUs, s.endUs, s.statusCode];

t.test('the hand-written protobuf writer produces exactly the bytes protobufjs produces', async (t) => {
  let compared = 0;
  for (const batch of batches(1, 400, 300)) {
    const fast = Buffer.from(encodeOtlpProto(batch));
    const reference = Buffer.from(encodeOtlpProtoReflect(batch));
    if (!fast.equals(reference)) t.fail(`batch ${compared} differs (${fast.length} vs ${reference.length} bytes)`);
    compared++;
  }
  t.ok(compared > 10, `${compared} batches compared`);
});

t.test('non-ASCII text, long strings and far-future times survive the protobuf writer', async (t) => {
  const [template] = batches(2, 1, 1)[0];
  const span: GenSpan = {
    ...template,
    name: 'überprüfe Bestellung — 注文',
    startUs: 4_102_444_800_123_456, // 2100-01-01: nanoseconds far past 2^53
    endUs: 4_102_444_800_223_457,
    attributes: [str('long', 'x'.repeat(70_000)), str('emoji', '🚀 launch'), ...template.attributes],
  };
  const bytes = encodeOtlpProto([span]);
  t.ok(Buffer.from(bytes).equals(Buffer.from(encodeOtlpProtoReflect([span]))), 'same bytes as protobufjs');
  const [decoded] = decodeOtlpProto(bytes, 'tenant').spans;
  t.equal(decoded.name, span.name);
  t.equal(decoded.startUs, span.startUs);
  t.equal(decoded.endUs, span.endUs);
  t.equal(decoded.attributes.emoji, '🚀 launch');
  t.equal(decoded.attributes.long.length, 70_000);
});

t.test('OTLP protobuf, OTLP/JSON and Zipkin bodies decode through Tessera\'s receivers to the generated spans', async (t) => {
  for (const batch of batches(3, 60, 200)) {
    const expected = batch.map(genEssentials);
    const proto = decodeOtlpProto(encodeOtlpProto(batch), 'tenant');
    const json = decodeOtlpJson(encodeOtlpJson(batch), 'tenant');
    const zipkin = decodeZipkinJson(encodeZipkin(batch), 'tenant');
    t.equal(proto.spans.length + json.spans.length + zipkin.length, 3 * batch.length, 'no span refused');
    // OTLP keeps spans grouped by resource; compare as sets keyed by span id.
    const byId = (spans: Span[]): unknown => spans.map(essentials).sort((a, b) => String((a as string[])[1]).localeCompare(String((b as string[])[1])));
    const want = [...expected].sort((a, b) => String((a as string[])[1]).localeCompare(String((b as string[])[1])));
    t.same(byId(proto.spans), want, 'OTLP protobuf');
    t.same(byId(json.spans), want, 'OTLP/JSON');
    t.same(byId(zipkin), want, 'Zipkin v2');
    const source = new Map(batch.map((s) => [s.spanId, s]));
    for (const decoded of [...proto.spans, ...json.spans]) {
      const s = source.get(decoded.spanId)!;
      if (decoded.kind !== KINDS[s.kind]) t.fail(`kind of ${s.name}`);
      for (const a of s.attributes) {
        if (decoded.attributes[a.key] !== attrText(a.value)) t.fail(`${a.key} of ${s.name}: ${decoded.attributes[a.key]} ≠ ${attrText(a.value)}`);
      }
      if (decoded.resource['service.name'] !== s.resource.serviceName) t.fail('resource service.name');
      if (decoded.events.length !== s.events.length) t.fail(`events of ${s.name}`);
    }
    for (const decoded of zipkin) {
      const s = source.get(decoded.spanId)!;
      if (s.kind !== 1 && decoded.kind !== KINDS[s.kind]) t.fail(`zipkin kind of ${s.name}`);
      for (const a of s.attributes) {
        // Zipkin's `error` tag carries the status message when there is one.
        const want = a.key === 'error' && s.statusMessage !== '' ? s.statusMessage : attrText(a.value);
        if (decoded.attributes[a.key] !== want) t.fail(`zipkin tag ${a.key} of ${s.name}`);
      }
    }
  }
});
