import t from 'tap';
import { apiStatusOf } from '../../../src/enrich/enrichers/apiStatus.ts';
import type { Protocol } from '../../../src/enrich/types.ts';
import { buildSpans, enrich } from '../build.ts';

const status = (attrs: Record<string, string>, protocol: Protocol) => apiStatusOf(buildSpans([{ id: 'x', attrs }])[0], protocol);

t.test('HTTP: 2xx and 3xx succeed, anything else fails, with the reason phrase as message', async (t) => {
  const rows: [Record<string, string>, string, string, string][] = [
    [{ 'http.status_code': '200' }, 'SUCCESS', '200', 'OK'],
    [{ 'http.status_code': '302' }, 'SUCCESS', '302', 'Found'],
    [{ 'http.response.status_code': '404' }, 'FAIL', '404', 'Not Found'],
    [{ 'http.status_code': '503', 'http.response.status_message': 'Try later' }, 'FAIL', '503', 'Try later'],
    [{ 'http.status_code': '101' }, 'FAIL', '101', 'Switching Protocols'],
  ];
  for (const [attrs, s, code, message] of rows) t.same(status(attrs, 'HTTP'), { status: s, code, message }, JSON.stringify(attrs));
  t.equal(status({}, 'HTTP'), undefined, 'no code, no status');
});

t.test('gRPC: OK succeeds, other codes fail, with the status message or the code name', async (t) => {
  t.same(status({ 'rpc.grpc.status_code': '0' }, 'GRPC'), { status: 'SUCCESS', code: '0', message: 'OK' });
  t.same(status({ 'rpc.grpc.status_code': '5' }, 'GRPC'), { status: 'FAIL', code: '5', message: 'NOT_FOUND' });
  t.same(status({ 'grpc.status_code': '14', 'status.message': 'connection refused' }, 'GRPC'), { status: 'FAIL', code: '14', message: 'connection refused' });
  t.equal(status({}, 'GRPC'), undefined);
});

t.test('other protocols get no API status', async (t) => {
  t.equal(status({ 'http.status_code': '500' }, 'REDIS'), undefined);
});

t.test('the enricher writes the status columns', async (t) => {
  const { trace, at } = await enrich([
    { id: 'ok', kind: 'SERVER', attrs: { 'http.method': 'GET', 'http.status_code': '204' } },
    { id: 'bad', parent: 'ok', kind: 'CLIENT', attrs: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': '7' } },
  ]);
  const { apiStatus, apiStatusCode, apiStatusMessage } = trace.enriched;
  t.same([apiStatus[at('ok')], apiStatusCode[at('ok')], apiStatusMessage[at('ok')]], ['SUCCESS', '204', 'No Content']);
  t.same([apiStatus[at('bad')], apiStatusCode[at('bad')], apiStatusMessage[at('bad')]], ['FAIL', '7', 'PERMISSION_DENIED']);
});
