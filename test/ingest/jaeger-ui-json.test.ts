// The Jaeger UI JSON decoder on the HotROD export (the golden trace) and on hand-made edge cases.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { decodeJaegerUiJson } from '../../src/ingest/jaeger-ui-json.ts';

const HOTROD = readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url));
const hotrod = () => JSON.parse(HOTROD.toString());

t.test('the HotROD export decodes whole', async (t) => {
  const doc = hotrod();
  const spans = decodeJaegerUiJson(HOTROD, 'tenant-1');
  t.equal(spans.length, doc.data[0].spans.length, 'every span of the file');
  t.equal(spans.length, 50);
  t.same([...new Set(spans.map((s) => s.serviceName))].sort(), ['customer', 'driver', 'frontend', 'mysql', 'redis', 'route']);
  t.ok(spans.every((s) => s.traceId === '0000000000000000383acc79e53b84da'), 'the 64-bit trace id is zero-extended to 32 hex chars');
  const roots = spans.filter((s) => s.parentSpanId === '');
  t.equal(roots.length, 1, 'one root');
  const ids = new Set(spans.map((s) => s.spanId));
  t.ok(spans.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId)), 'every parent is in the trace');
  t.ok(spans.every((s) => s.tenant === 'tenant-1' && s.endUs >= s.startUs));
  const first = doc.data[0].spans[0];
  const span = spans.find((s) => s.spanId === first.spanID)!;
  t.equal(span.startUs, first.startTime, 'times stay in microseconds');
  t.equal(span.endUs - span.startUs, first.duration);
  t.equal(span.resource['hostname'], doc.data[0].processes[first.processID].tags.find((x: any) => x.key === 'hostname').value, 'process tags become the resource');
});

t.test('typed tags, logs, references and process lookup', async (t) => {
  const doc = {
    data: [{
      traceID: 'ABCDEF0123456789ABCDEF0123456789',
      processes: { p1: { serviceName: 'api', tags: [{ key: 'IP', type: 'string', value: '10.1.1.1' }] } },
      spans: [
        {
          traceID: 'ABCDEF0123456789ABCDEF0123456789', spanID: '00000000000000A1', operationName: 'GET /x',
          references: [], startTime: 1_000_000, duration: 250, processID: 'p1',
          tags: [
            { key: 'span.kind', type: 'string', value: 'server' },
            { key: 'Error', type: 'bool', value: true },
            { key: 'http.status_code', type: 'int64', value: 500 },
            { key: 'weight', type: 'float64', value: 0.75 },
            { key: 'otel.status_description', type: 'string', value: 'boom' },
          ],
          logs: [{ timestamp: 1_000_100, fields: [{ key: 'message', type: 'string', value: 'no event field' }] }],
        },
        {
          traceID: 'abcdef0123456789abcdef0123456789', spanID: 'a2', operationName: 'later',
          references: [{ refType: 'FOLLOWS_FROM', traceID: 'abcdef0123456789abcdef0123456789', spanID: '00000000000000a1' }],
          startTime: 1_000_300, duration: 0, process: { serviceName: 'worker', tags: [] },
        },
      ],
    }],
  };
  const [server, later] = decodeJaegerUiJson(JSON.stringify(doc), 't');
  t.equal(server.traceId, 'abcdef0123456789abcdef0123456789', 'ids are lower-cased');
  t.equal(server.spanId, '00000000000000a1');
  t.equal(server.kind, 'SERVER');
  t.same([server.attributes['error'], server.attributes['http.status_code'], server.attributes['weight']], ['true', '500', '0.75']);
  t.same([server.statusCode, server.statusMessage], [2, 'boom']);
  t.same(server.events, [{ timeUs: 1_000_100, name: 'log', attributes: { message: 'no event field' } }], 'a log without an event field is named "log"');
  t.same(server.resource, { ip: '10.1.1.1' });
  t.equal(later.spanId, '00000000000000a2', 'a short span id is zero-padded');
  t.equal(later.parentSpanId, server.spanId, 'FOLLOWS_FROM gives the parent');
  t.equal(later.serviceName, 'worker', 'an inline process is used');
  t.same(later.links, [{ traceId: server.traceId, spanId: server.spanId, refType: 'FOLLOWS_FROM' }]);
});

t.test('a broken file is refused whole, naming each bad span and field', async (t) => {
  const doc = hotrod();
  doc.data[0].spans[3].spanID = '';
  doc.data[0].spans[9].duration = -10;
  doc.data[0].spans[12].traceID = 'xyz';
  const err = t.throws(() => decodeJaegerUiJson(JSON.stringify(doc), 't'), { name: 'TesseraError', code: 'INVALID_ARGUMENT' }) as Error;
  t.match(err.message, 'data[0].spans[3]');
  t.match(err.message, 'spanID');
  t.match(err.message, `data[0].spans[9] (span id "${doc.data[0].spans[9].spanID}"): duration`);
  t.match(err.message, `data[0].spans[12] (span id "${doc.data[0].spans[12].spanID}"): traceID`);
  t.match(err.message, '3 invalid span(s)');
});

t.test('what is not a Jaeger export is refused', async (t) => {
  for (const body of ['not json', '{"data": 5}', '42', '{"data": [{"traceID": "1"}]}']) {
    t.throws(() => decodeJaegerUiJson(body, 't'), { name: 'TesseraError', code: 'INVALID_ARGUMENT' }, body);
  }
  t.same(decodeJaegerUiJson('{"data": []}', 't'), [], 'an empty export is fine');
  t.equal(decodeJaegerUiJson(JSON.stringify(hotrod().data), 't').length, 50, 'a bare array of traces is accepted');
});
