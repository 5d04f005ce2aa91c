// The Zipkin v2 JSON decoder: ids, times, kinds, endpoints and what it refuses.

import t from 'tap';
import { decodeZipkinJson } from '../../src/ingest/zipkin-json.ts';

const base = {
  traceId: '463AC35C9F6413AD48485A3953BB6124',
  id: 'A2FB4A1D1A96D312',
  name: 'get',
  timestamp: 1_472_470_996_199_000,
  duration: 207_000,
  localEndpoint: { serviceName: 'frontend', ipv6: '::1' },
};

t.test('a 128-bit span with every optional part', async (t) => {
  const [span] = decodeZipkinJson(JSON.stringify([{
    ...base,
    parentId: '6B221D5BC9E6496C',
    kind: 'server',
    remoteEndpoint: { ipv6: '::2', port: 4000 },
    tags: { 'Http.Status_Code': '200', 'net.peer.ip': 'from-tag', retries: 3 },
  }]), 'z');
  t.equal(span.traceId, '463ac35c9f6413ad48485a3953bb6124');
  t.equal(span.spanId, 'a2fb4a1d1a96d312');
  t.equal(span.parentSpanId, '6b221d5bc9e6496c');
  t.equal(span.kind, 'SERVER', 'kind names in any case');
  t.same([span.startUs, span.endUs], [1_472_470_996_199_000, 1_472_470_996_406_000]);
  t.equal(span.attributes['http.status_code'], '200');
  t.equal(span.attributes['retries'], '3', 'a non-string tag is kept as its string form');
  t.equal(span.attributes['net.peer.ip'], 'from-tag', 'an explicit tag wins over the remote endpoint');
  t.equal(span.attributes['net.peer.port'], '4000');
  t.same(span.resource, { 'service.name': 'frontend', 'net.host.ip': '::1' });
  t.same([span.statusCode, span.events, span.links], [0, [], []]);
});

t.test('a span without a timestamp starts at its first annotation', async (t) => {
  const [span] = decodeZipkinJson(JSON.stringify([{ ...base, timestamp: undefined, duration: undefined, annotations: [{ timestamp: 1_472_470_996_300_000, value: 'cs' }] }]), 'z');
  t.same([span.startUs, span.endUs], [1_472_470_996_300_000, 1_472_470_996_300_000]);
  t.equal(span.serviceName, 'frontend');
});

t.test('refusals name the span and the field', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ traceId: 'not hex' }, 'traceId'],
    [{ traceId: '0' }, 'traceId'],
    [{ id: undefined }, 'id'],
    [{ parentId: 'abcdefabcdefabcdef' }, 'parentId'],
    [{ timestamp: undefined }, 'timestamp'],
    [{ duration: -3 }, 'duration'],
  ];
  for (const [change, field] of cases) {
    const err = t.throws(() => decodeZipkinJson(JSON.stringify([base, { ...base, ...change }]), 'z'), { name: 'TesseraError', code: 'INVALID_ARGUMENT' }) as Error;
    t.match(err.message, `spans[1]`, `${field}: names the span's position`);
    t.match(err.message, field, `${field}: names the field`);
  }
  t.same(decodeZipkinJson('[]', 'z'), [], 'an empty list is fine');
  t.equal(decodeZipkinJson(JSON.stringify([{ ...base, localEndpoint: undefined }]), 'z')[0].serviceName, 'unknown_service');
});
