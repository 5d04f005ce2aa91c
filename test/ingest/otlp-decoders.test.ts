// The OTLP decoders, protobuf and JSON: both must give the same model spans for the same
// request, follow every normalization rule, and reject bad spans by position, id and field.

import t from 'tap';
import protobuf from 'protobufjs';
import { decodeOtlpJson } from '../../src/ingest/otlp-json.ts';
import { decodeOtlpProto, decodeOtlpProtoRaw } from '../../src/ingest/otlp-proto.ts';
import { ExportTraceServiceRequest, root } from '../../src/ingest/protos.ts';
import type { Span } from '../../src/model/span.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const ROOT = 'eee19b7ec3c1b174';
const CHILD = 'eee19b7ec3c1b173';
const LINKED_TRACE = '00000000000000000000000000000abc';

/** One request in OTLP/JSON form using every value type, events, links, status and scope. */
function richJson(): any {
  return {
    resourceSpans: [{
      resource: { attributes: [
        { key: 'service.name', value: { stringValue: 'checkout' } },
        { key: 'Host.Name', value: { stringValue: 'web-1' } },
      ] },
      scopeSpans: [{
        scope: { name: 'io.opentelemetry.http', version: '2.0.1' },
        spans: [
          {
            traceId: TRACE, spanId: ROOT, parentSpanId: '', name: 'POST /pay', kind: 2,
            startTimeUnixNano: '1613406996356635123', endTimeUnixNano: '1613406996656635999',
            attributes: [
              { key: 'HTTP.Method', value: { stringValue: 'POST' } },
              { key: 'http.status_code', value: { intValue: '201' } },
              { key: 'big', value: { intValue: '-9007199254740993' } },
              { key: 'ok', value: { boolValue: true } },
              { key: 'ratio', value: { doubleValue: 0.125 } },
              { key: 'raw', value: { bytesValue: 'AQID' } },
              { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '7' }, { boolValue: false }] } } },
              { key: 'map', value: { kvlistValue: { values: [{ key: 'Inner', value: { doubleValue: 1.5 } }] } } },
              { key: 'empty', value: {} },
            ],
            events: [{ timeUnixNano: '1613406996356700000', name: 'exception', attributes: [{ key: 'Exception.Type', value: { stringValue: 'E' } }] }],
            links: [{ traceId: LINKED_TRACE, spanId: '0000000000000def' }],
            status: { code: 2, message: 'card declined' },
          },
          {
            traceId: TRACE, spanId: CHILD, parentSpanId: ROOT, name: 'SELECT', kind: 3,
            startTimeUnixNano: '1613406996400000000', endTimeUnixNano: '1613406996400000000',
          },
        ],
      }],
    }],
  };
}

/** The same request as protobuf: ids become bytes, everything else converts as is. */
function toProto(json: any): Uint8Array {
  const copy = JSON.parse(JSON.stringify(json));
  const ids = (o: any) => {
    for (const k of ['traceId', 'spanId', 'parentSpanId']) if (typeof o[k] === 'string') o[k] = Buffer.from(o[k], 'hex');
  };
  for (const rs of copy.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
    ids(s);
    for (const l of s.links ?? []) ids(l);
  }
  return ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(copy)).finish();
}

const expectedRoot: Span = {
  tenant: 'acme',
  traceId: TRACE,
  spanId: ROOT,
  parentSpanId: '',
  name: 'POST /pay',
  kind: 'SERVER',
  serviceName: 'checkout',
  startUs: 1613406996356635,
  endUs: 1613406996656635,
  statusCode: 2,
  statusMessage: 'card declined',
  attributes: {
    'otel.scope.name': 'io.opentelemetry.http',
    'otel.scope.version': '2.0.1',
    'http.method': 'POST',
    'http.status_code': '201',
    big: '-9007199254740993',
    ok: 'true',
    ratio: '0.125',
    raw: 'AQID',
    list: '["a",7,false]',
    map: '{"Inner":1.5}',
    empty: '',
  },
  resource: { 'service.name': 'checkout', 'host.name': 'web-1' },
  events: [{ timeUs: 1613406996356700, name: 'exception', attributes: { 'exception.type': 'E' } }],
  links: [{ traceId: LINKED_TRACE, spanId: '0000000000000def', refType: 'LINK' }],
};

t.test('protobuf and JSON decode the same request to the same spans', async (t) => {
  const fromProto = decodeOtlpProto(toProto(richJson()), 'acme');
  const fromJson = decodeOtlpJson(JSON.stringify(richJson()), 'acme');
  t.equal(fromProto.rejected, 0);
  t.strictSame(fromProto.spans[0], expectedRoot, 'protobuf follows every rule');
  t.strictSame(fromJson.spans, fromProto.spans, 'JSON gives the same spans');
  const child = fromProto.spans[1];
  t.equal(child.parentSpanId, ROOT);
  t.equal(child.kind, 'CLIENT');
  t.equal(child.endUs, child.startUs, 'a zero-length span is fine');
});

t.test('JSON accepts enum names, numeric int64, snake_case names and base64 ids', async (t) => {
  const json = richJson();
  const span = json.resourceSpans[0].scopeSpans[0].spans[0];
  span.kind = 'SPAN_KIND_SERVER';
  span.status.code = 'STATUS_CODE_ERROR';
  span.attributes[1].value.intValue = 201;
  span.start_time_unix_nano = span.startTimeUnixNano;
  delete span.startTimeUnixNano;
  span.traceId = Buffer.from(TRACE, 'hex').toString('base64');
  const { spans } = decodeOtlpJson(JSON.stringify(json), 'acme');
  t.strictSame(spans[0], expectedRoot);
});

t.test('protobuf fields may come in any order and unknown fields are skipped', async (t) => {
  const Resource = root.lookupType('opentelemetry.proto.resource.v1.Resource');
  const ScopeSpans = root.lookupType('opentelemetry.proto.trace.v1.ScopeSpans');
  const rs = JSON.parse(JSON.stringify(richJson().resourceSpans[0]));
  const scope = ScopeSpans.encode(ScopeSpans.fromObject(JSON.parse(toProtoScope(rs.scopeSpans[0])))).finish();
  const resource = Resource.encode(Resource.fromObject(rs.resource)).finish();
  // ResourceSpans written backwards: scope_spans, an unknown field 99, then the resource.
  const inner = protobuf.Writer.create()
    .uint32((2 << 3) | 2).bytes(scope)
    .uint32((99 << 3) | 0).uint32(12345)
    .uint32((1 << 3) | 2).bytes(resource)
    .finish();
  const body = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(inner).finish();
  const { spans } = decodeOtlpProto(body, 'acme');
  t.equal(spans.length, 2);
  t.equal(spans[0].serviceName, 'checkout', 'the resource that came last still names the service');
  t.strictSame(spans[0], expectedRoot);
});

function toProtoScope(scope: any): string {
  for (const s of scope.spans) {
    for (const k of ['traceId', 'spanId', 'parentSpanId']) s[k] = Buffer.from(s[k], 'hex').toString('base64');
    for (const l of s.links ?? []) for (const k of ['traceId', 'spanId']) l[k] = Buffer.from(l[k], 'hex').toString('base64');
  }
  return JSON.stringify(scope);
}

t.test('bad spans are rejected by position, id and field; the others stay', async (t) => {
  const cases: Array<[string, (s: any) => void, string]> = [
    ['a short trace id', (s) => (s.traceId = 'abcd'), 'trace_id'],
    ['an all-zero trace id', (s) => (s.traceId = '0'.repeat(32)), 'trace_id'],
    ['a missing span id', (s) => delete s.spanId, 'span_id'],
    ['a parent id of the wrong size', (s) => (s.parentSpanId = 'abcdef'), 'parent_span_id'],
    ['no start time', (s) => delete s.startTimeUnixNano, 'start_time_unix_nano'],
    ['an end before the start', (s) => (s.endTimeUnixNano = '1613406996356635000'), 'end_time_unix_nano'],
  ];
  for (const [what, spoil, field] of cases) {
    const json = richJson();
    spoil(json.resourceSpans[0].scopeSpans[0].spans[1]);
    for (const [encoding, result] of [
      ['protobuf', decodeOtlpProto(toProto(json), 'acme')],
      ['JSON', decodeOtlpJson(JSON.stringify(json), 'acme')],
    ] as const) {
      t.equal(result.rejected, 1, `${encoding}, ${what}: one span rejected`);
      t.equal(result.spans.length, 1, `${encoding}, ${what}: the valid span stays`);
      t.match(result.errorMessage, 'resource_spans[0].scope_spans[0].spans[1]', `${encoding}, ${what}: names the position`);
      t.match(result.errorMessage, field, `${encoding}, ${what}: names the field`);
      if (field !== 'span_id') t.match(result.errorMessage, CHILD, `${encoding}, ${what}: names the span id`);
    }
  }
});

t.test('an undecodable body is an INVALID_ARGUMENT error', async (t) => {
  const bodies: Array<[string, () => unknown]> = [
    ['truncated protobuf', () => decodeOtlpProto(toProto(richJson()).subarray(0, 40), 't')],
    ['a length past the end', () => decodeOtlpProto(Uint8Array.from([0x0a, 0x7f]), 't')],
    ['not JSON', () => decodeOtlpJson('{"resourceSpans":', 't')],
    ['JSON of the wrong shape', () => decodeOtlpJson('{"resourceSpans": {"a": 1}}', 't')],
    ['a JSON array', () => decodeOtlpJson('[]', 't')],
  ];
  for (const [what, decode] of bodies) {
    t.throws(decode, { name: 'TesseraError', code: 'INVALID_ARGUMENT' }, what);
  }
  t.same(decodeOtlpProto(new Uint8Array(0), 't'), { spans: [], rejected: 0, errorMessage: '' }, 'an empty request is valid');
});

t.test('the decode-only ceiling returns the protobufjs message', async (t) => {
  const message = decodeOtlpProtoRaw(toProto(richJson())) as any;
  t.equal(message.resourceSpans[0].scopeSpans[0].spans.length, 2);
});
