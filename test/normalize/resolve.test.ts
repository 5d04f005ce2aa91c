import t from 'tap';
import { FIELD_NAMES, resolveFirstClass } from '../../src/normalize/index.ts';
import { spanOf } from './rows.ts';

t.test('resolveFirstClass gathers every resolver for one span', async (t) => {
  const span = spanOf({
    kind: 'CLIENT',
    attrs: {
      'http.request.method': 'GET',
      'url.full': 'https://shop.example/cart/?id=7',
      'http.response.status_code': '503',
      'user_agent.original': 'curl/8',
      'server.address': 'shop.example',
      error: 'true',
    },
    statusMessage: 'upstream failed',
  });
  const fields = resolveFirstClass(span);
  t.equal(fields.httpMethod, 'GET', 'method');
  t.equal(fields.httpUrl, 'https://shop.example/cart/?id=7', 'url');
  t.equal(fields.httpPath, '/cart', 'path');
  t.equal(fields.httpQueryString, 'id=7', 'query');
  t.equal(fields.httpStatusCode, 503, 'status');
  t.equal(fields.protocol, 'HTTPS', 'protocol');
  t.equal(fields.otelPeerUri, 'shop.example', 'peer');
  t.equal(fields.isError, true, 'error');
  t.equal(fields.errorMessage, 'upstream failed', 'error message');
  t.equal(fields.grpcStatusCode, -1, 'no gRPC status');
  t.equal(fields.dbUri, undefined, 'no database');
});

t.test('fields are resolved when read, not when the view is built', async (t) => {
  const span = spanOf({ attrs: { 'http.method': 'GET' } });
  const fields = resolveFirstClass(span);
  span.attributes['http.request.method'] = 'POST';
  t.equal(fields.httpMethod, 'POST', 'a key added after building is seen');
});

t.test('toJSON lists every field with its resolved value', async (t) => {
  const span = spanOf({ attrs: { 'db.system': 'redis', 'redis.connection': 'cache:6379', 'db.statement': 'GET k' } });
  const json = resolveFirstClass(span).toJSON();
  t.same(Object.keys(json), FIELD_NAMES, 'one entry per field, in order');
  const required = ['httpMethod', 'httpUrl', 'httpScheme', 'httpHost', 'httpPath', 'httpQueryString', 'userAgent',
    'httpRequestSize', 'httpResponseSize', 'httpStatusCode', 'rpcSystem', 'grpcStatusCode', 'grpcStatusMessage',
    'grpcUri', 'grpcEndpoint', 'rpcService', 'rpcMethod', 'rpcOperation', 'dbSystem', 'dbStatement', 'dbOperation',
    'dbName', 'dbDestination', 'isSqlBackend', 'dbUri', 'messagingSystem', 'messagingDestination',
    'messagingOperation', 'otPeerUri', 'otelPeerUri', 'isError', 'hasException', 'errorMessage', 'exceptionType',
    'protocol'];
  t.same(required.filter((name) => !(FIELD_NAMES as readonly string[]).includes(name)), [], 'every resolver has a field');
  t.same(json.dbUri, { system: 'REDIS', uri: 'cache:6379' }, 'the database URI');
  t.equal(json.dbOperation, 'GET', 'the database operation');
  t.equal(json.protocol, 'REDIS', 'the protocol');
});
