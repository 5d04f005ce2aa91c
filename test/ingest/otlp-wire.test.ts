// The OTLP protobuf walk shares short strings (keys, values, names) between spans through a
// small table keyed by their bytes. Sharing must never change a value: every value comes back
// exactly as sent, however many distinct ones share the table's slots.

import t from 'tap';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { otlpProtoRequest, type TestSpan } from './requests.ts';
import { hex } from './support.ts';

t.test('many distinct short values of one length all decode to themselves', async (t) => {
  // 12 000 values over 4 096 slots: slots are reused, and equal lengths defeat the length check.
  const spans: TestSpan[] = Array.from({ length: 12_000 }, (_, i) => ({
    traceId: hex(7, 32),
    spanId: hex(i + 1, 16),
    name: `op-${hex(i, 5)}`,
    attributes: { 'value.id': `v${hex(i, 7)}`, 'Key.Of.Span': hex(i % 3, 4) },
  }));
  const { spans: decoded } = decodeOtlpProto(otlpProtoRequest('svc', spans), 'tenant');
  t.equal(decoded.length, spans.length);
  const wrong = decoded.filter((s, i) => s.name !== spans[i].name || s.attributes['value.id'] !== spans[i].attributes!['value.id']
    || s.attributes['key.of.span'] !== spans[i].attributes!['Key.Of.Span']);
  t.same(wrong.map((s) => s.spanId).slice(0, 5), [], 'no value is swapped for another');
});

t.test('values past the shared length, and multi-byte text, decode whole', async (t) => {
  const long = 'SELECT * FROM orders WHERE customer_id = 42 AND status = \'open\'';
  const accented = 'café-naïve-ü';
  const body = otlpProtoRequest('svc', [
    { traceId: hex(9, 32), spanId: hex(1, 16), name: accented, attributes: { 'db.statement': long, city: accented, empty: '' } },
    { traceId: hex(9, 32), spanId: hex(2, 16), name: accented, attributes: { 'db.statement': long, city: 'cafe-naive-u' } },
  ]);
  const { spans } = decodeOtlpProto(body, 'tenant');
  t.equal(spans[0].attributes['db.statement'], long);
  t.equal(spans[0].attributes.city, accented);
  t.equal(spans[0].attributes.empty, '');
  t.equal(spans[0].name, accented);
  t.equal(spans[1].attributes.city, 'cafe-naive-u');
  t.equal(spans[1].name, accented);
});

t.test('ids decode as lowercase hex of their bytes', async (t) => {
  const traceId = 'ABCDEF0123456789abcdef0123456789'.toLowerCase();
  const { spans } = decodeOtlpProto(otlpProtoRequest('svc', [
    { traceId, spanId: 'FEDCBA9876543210'.toLowerCase(), parentSpanId: '00000000000000ff', name: 'x' },
  ]), 'tenant');
  t.equal(spans[0].traceId, traceId);
  t.equal(spans[0].spanId, 'fedcba9876543210');
  t.equal(spans[0].parentSpanId, '00000000000000ff');
});
