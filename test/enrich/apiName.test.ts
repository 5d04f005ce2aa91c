import t from 'tap';
import { apiNameOf, isIdentifierSegment, templateOperationName, templatePath } from '../../src/enrich/apiName.ts';
import { buildSpans } from './build.ts';
import type { SpanSpec } from './build.ts';
import type { Protocol } from '../../src/enrich/types.ts';

const spanOf = (spec: Partial<SpanSpec>) => buildSpans([{ id: 'x', kind: 'SERVER', ...spec }])[0];

t.test('templating collapses identifiers in a path and keeps resource names', async (t) => {
  const rows: [string, string][] = [
    ['/users/42/orders/9f1c2b3a4d5e6f70', '/users/{id}/orders/{id}'],
    ['/users/3fa85f64-5717-4562-b3fc-2c963f66afa6', '/users/{id}'],
    ['/users/3FA85F64-5717-4562-B3FC-2C963F66AFA6/avatar', '/users/{id}/avatar'],
    ['/accounts/jane.doe@example.com/settings', '/accounts/{id}/settings'],
    ['/accounts/jane.doe%40example.com', '/accounts/{id}'],
    ['/reset/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', '/reset/{id}'],
    ['/files/0x1f2e3d4c', '/files/{id}'],
    ['/drivers/T706554C', '/drivers/{id}'],
    ['/products/sku-00012345/reviews', '/products/{id}/reviews'],
    ['/orders/2024-01-31', '/orders/{id}'],
    ['/prices/-12.50', '/prices/{id}'],
    ['/blog/how-to-build-a-tracing-backend-quickly', '/blog/{id}'],
    ['/sessions/a8Kq2LmZ9xPq7TnR', '/sessions/{id}'],
    ['/api/v2/users', '/api/v2/users'],
    ['/api/v1.2.3/items', '/api/v1.2.3/items'],
    ['/oauth2/token', '/oauth2/token'],
    ['/static/css/main.css', '/static/css/main.css'],
    ['/health', '/health'],
    ['/', '/'],
    ['/users/{id}/orders/:orderId', '/users/{id}/orders/:orderId'],
  ];
  for (const [path, expected] of rows) t.equal(templatePath(path), expected, path);
});

t.test('a segment is an identifier only when it looks like one', async (t) => {
  for (const seg of ['1', '007', 'f47ac10b58cc4372a5670e02b2c3d479', 'x@y.io', 'ABCDEF0123']) t.ok(isIdentifierSegment(seg), seg);
  for (const seg of ['users', 'v1', 'mp4', 'ipv6', 'deadbeef', 'checkout', '']) t.notOk(isIdentifierSegment(seg), seg);
});

t.test('an operation name has only its path-like words templated, without the query', async (t) => {
  t.equal(templateOperationName('GET /users/123?expand=true'), 'GET /users/{id}');
  t.equal(templateOperationName('HTTP GET /customer'), 'HTTP GET /customer');
  t.equal(templateOperationName('SELECT 1'), 'SELECT 1');
});

t.test('http.route wins over the path', async (t) => {
  const span = spanOf({ attrs: { 'http.method': 'get', 'http.route': '/users/:userId', 'http.target': '/users/42' } });
  t.same(apiNameOf(span, 'HTTP'), { name: 'GET /users/:userId', source: 'http.route', method: 'GET' });
});

t.test('the RPC service and method win over the operation name, in old and new conventions', async (t) => {
  const old = spanOf({ name: 'whatever', attrs: { 'rpc.system': 'grpc', 'rpc.service': 'shop.Cart', 'rpc.method': 'AddItem' } });
  t.same(apiNameOf(old, 'GRPC'), { name: 'shop.Cart/AddItem', source: 'rpc', method: '' });
  const current = spanOf({ name: 'whatever', attrs: { 'rpc.system.name': 'grpc', 'rpc.method': 'shop.Cart/AddItem' } });
  t.equal(apiNameOf(current, 'GRPC').name, 'shop.Cart/AddItem');
});

t.test('without route or RPC names an HTTP entry is named by method and templated path', async (t) => {
  const rows: [Record<string, string>, Protocol, string][] = [
    [{ 'http.method': 'GET', 'http.target': '/users/42/orders/77?x=1' }, 'HTTP', 'GET /users/{id}/orders/{id}'],
    [{ 'http.request.method': 'POST', 'url.path': '/carts/9f1c2b3a4d5e6f70/items' }, 'HTTP', 'POST /carts/{id}/items'],
    [{ 'http.method': 'GET', 'http.url': 'https://shop.example.com/p/3fa85f64-5717-4562-b3fc-2c963f66afa6/' }, 'HTTPS', 'GET /p/{id}'],
    [{ 'http.target': '/ping' }, 'HTTP', '/ping'],
  ];
  for (const [attrs, protocol, expected] of rows) {
    const got = apiNameOf(spanOf({ attrs }), protocol);
    t.equal(got.name, expected, expected);
    t.equal(got.source, 'path');
  }
});

t.test('otherwise the operation name is used, with a gRPC leading slash dropped', async (t) => {
  t.same(apiNameOf(spanOf({ name: '/driver.DriverService/FindNearest', attrs: { component: 'gRPC' } }), 'GRPC'), {
    name: 'driver.DriverService/FindNearest',
    source: 'operation',
    method: '',
  });
  t.equal(apiNameOf(spanOf({ name: 'GET /items/123456' }), 'UNKNOWN').name, 'GET /items/{id}');
  t.equal(apiNameOf(spanOf({ name: 'process-payment' }), 'UNKNOWN').name, 'process-payment');
  t.equal(apiNameOf(spanOf({ name: '' }), 'UNKNOWN').name, 'unknown');
});

t.test('a realistic stream of shop URLs collapses to the few endpoints behind it', async (t) => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const hex = (len: number) => Array.from({ length: len }, () => '0123456789abcdef'[rand(16)]).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const email = () => `user${rand(10_000)}@mail${rand(50)}.example.org`;
  const shapes: [string, () => string, string][] = [
    ['GET', () => `/users/${rand(1_000_000)}`, 'GET /users/{id}'],
    ['GET', () => `/users/${rand(1_000_000)}/orders/${uuid()}`, 'GET /users/{id}/orders/{id}'],
    ['POST', () => `/carts/${hex(24)}/items`, 'POST /carts/{id}/items'],
    ['GET', () => `/accounts/${encodeURIComponent(email())}/settings`, 'GET /accounts/{id}/settings'],
    ['GET', () => `/products/SKU-${rand(100_000)}?ref=${hex(6)}`, 'GET /products/{id}'],
    ['GET', () => `/api/v2/catalog/${rand(3) === 0 ? 'featured' : 'all'}`, ''],
    ['GET', () => '/health', 'GET /health'],
  ];
  const names = new Set<string>();
  const expected = new Set<string>(['GET /api/v2/catalog/featured', 'GET /api/v2/catalog/all']);
  for (let k = 0; k < 2000; k++) {
    const [method, path, name] = shapes[k % shapes.length];
    if (name !== '') expected.add(name);
    names.add(apiNameOf(spanOf({ attrs: { 'http.method': method, 'http.target': path() } }), 'HTTP').name);
  }
  t.same([...names].sort(), [...expected].sort());
});
