import t from 'tap';
import {
  httpHost,
  httpMethod,
  httpPath,
  httpQueryString,
  httpRequestSize,
  httpRequestUrl,
  httpResponseSize,
  httpScheme,
  httpStatusCode,
  httpUrl,
  userAgent,
} from '../../src/normalize/index.ts';
import { checkRows, spanOf, type Row } from './rows.ts';

// The MigrationTestHttp case: every key family present with a different value, plus the
// current OTel names, which must not displace the Hypertrace order.
const CONFLICTING = {
  'http.request.method': 'GET',
  'http.method': 'PUT',
  'http.url': 'https://example.ai/url1',
  url: 'https://example.ai/url2',
  'http.request.url': 'https://example.ai/url3',
  'url.full': 'https://example.ai/url4',
  'http.host': 'example.ai',
  'http.request.path': '/url1',
  'http.path': '/url2',
  'url.path': '/url4',
  'user.agent': 'Chrome 1',
  user_agent: 'Chrome 2',
  'user-agent': 'Chrome 3',
  'http.request.header.user-agent': 'Chrome 4',
  'http.user_agent': 'Chrome 5',
  'user_agent.original': 'Chrome 6',
  request_size: '50',
  'http.request.size': '40',
  'http.request.body.size': '45',
  response_size: '30',
  'http.response.size': '20',
  'http.response.body.size': '25',
  'http.request.query_string': 'a1=v1&a2=v2',
  'url.query': 'b1=w1',
};

t.test('with many conflicting keys every HTTP field follows the documented priority', async (t) => {
  const span = spanOf({ attrs: CONFLICTING });
  t.equal(httpMethod(span), 'GET', 'http.request.method beats http.method');
  t.equal(httpUrl(span), 'https://example.ai/url1', 'http.url is the first URL key');
  t.equal(httpHost(span), 'example.ai', 'host from the URL');
  t.equal(httpScheme(span), 'https', 'scheme from the URL');
  t.equal(httpPath(span), '/url1', 'http.request.path beats http.path and url.path');
  t.equal(userAgent(span), 'Chrome 1', 'user.agent is the first user-agent key');
  t.equal(httpRequestSize(span), 50, 'envoy request_size is the first request size key');
  t.equal(httpResponseSize(span), 30, 'envoy response_size is the first response size key');
  t.equal(httpQueryString(span), 'a1=v1&a2=v2', 'http.request.query_string beats url.query');
});

t.test('the HTTP method skips blanks and resolves OTel _OTHER to the original method', async (t) => {
  checkRows(t, httpMethod, [
    { title: 'old OTel / OpenTracing http.method alone', attrs: { 'http.method': 'POST' }, want: 'POST' },
    { title: 'new OTel http.request.method alone', attrs: { 'http.request.method': 'PATCH' }, want: 'PATCH' },
    { title: 'a blank first key is skipped', attrs: { 'http.request.method': '  ', 'http.method': 'DELETE' }, want: 'DELETE' },
    {
      title: '_OTHER gives way to http.request.method_original',
      attrs: { 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' },
      want: 'PURGE',
    },
    { title: '_OTHER without an original stays _OTHER', attrs: { 'http.request.method': '_OTHER' }, want: '_OTHER' },
    { title: 'no method key gives an empty string', attrs: { 'rpc.method': 'Get' }, want: '' },
  ]);
});

t.test('the URL takes the first absolute URL key, in Hypertrace order with url.full last', async (t) => {
  checkRows(t, httpUrl, [
    {
      title: 'http.request.url beats url and url.full',
      attrs: { 'http.request.url': 'http://a.example/1', url: 'http://b.example/2', 'url.full': 'http://c.example/3' },
      want: 'http://a.example/1',
    },
    { title: 'url beats url.full', attrs: { url: 'http://b.example/2', 'url.full': 'http://c.example/3' }, want: 'http://b.example/2' },
    { title: 'new OTel url.full alone', attrs: { 'url.full': 'https://c.example/3?x=1' }, want: 'https://c.example/3?x=1' },
    {
      title: 'an absolute URL is returned as recorded',
      attrs: { 'http.url': 'http://abc.xyz/dispatch/test?a=b&k1=v1' },
      want: 'http://abc.xyz/dispatch/test?a=b&k1=v1',
    },
    { title: 'a relative URL is not a URL', attrs: { 'http.url': '/dispatch/test?a=b&k1=v1' }, want: '' },
    {
      title: 'a later absolute URL beats an earlier relative one',
      attrs: { 'http.url': '/dispatch', 'url.full': 'https://d.example/dispatch' },
      want: 'https://d.example/dispatch',
    },
    {
      title: 'an unparseable URL is skipped',
      attrs: { 'http.url': 'http://exa mple.com/x', 'url.full': 'https://ok.example/y' },
      want: 'https://ok.example/y',
    },
  ]);
  checkRows(t, httpRequestUrl, [
    { title: 'the request URL keeps a relative value', attrs: { 'http.url': '/dispatch?a=b' }, want: '/dispatch?a=b' },
    { title: 'the request URL is empty without URL keys', attrs: {}, want: '' },
  ]);
});

t.test('without a full URL, one is built from OTel parts by span kind', async (t) => {
  const rows: Row<string>[] = [
    {
      title: 'server span: http.server_name and net.host.port',
      kind: 'SERVER',
      attrs: { 'http.scheme': 'http', 'http.server_name': 'api.local', 'net.host.port': '8080', 'http.target': '/users?id=1' },
      want: 'http://api.local:8080/users?id=1',
    },
    {
      title: 'server span: net.host.name without a port',
      kind: 'SERVER',
      attrs: { 'http.scheme': 'https', 'net.host.name': 'host.local', 'http.target': '/x' },
      want: 'https://host.local/x',
    },
    {
      title: 'client span: net.peer.name and net.peer.port',
      kind: 'CLIENT',
      attrs: { 'http.scheme': 'https', 'net.peer.name': 'pay.example', 'net.peer.port': '8443', 'http.target': '/charge' },
      want: 'https://pay.example:8443/charge',
    },
    {
      title: 'client span: an IPv6 net.peer.ip is bracketed',
      kind: 'CLIENT',
      attrs: { 'http.scheme': 'http', 'net.peer.ip': '::1', 'net.peer.port': '8080', 'http.target': '/x' },
      want: 'http://[::1]:8080/x',
    },
    {
      title: 'http.host serves either side',
      attrs: { 'http.scheme': 'http', 'http.host': 'h.example:81', 'http.target': '/t', 'net.peer.name': 'other' },
      kind: 'CLIENT',
      want: 'http://h.example:81/t',
    },
    {
      title: 'new OTel server span: url.scheme, server.address, server.port, url.path, url.query',
      kind: 'SERVER',
      attrs: { 'url.scheme': 'https', 'server.address': 'shop.example', 'server.port': '8443', 'url.path': '/cart', 'url.query': 'x=1' },
      want: 'https://shop.example:8443/cart?x=1',
    },
    {
      title: 'new OTel client span without url.full',
      kind: 'CLIENT',
      attrs: { 'url.scheme': 'http', 'server.address': 'inventory', 'server.port': '9000', 'url.path': '/items' },
      want: 'http://inventory:9000/items',
    },
    {
      title: 'the client side is read from a span.kind tag when the kind is unspecified',
      attrs: { 'span.kind': 'client', 'http.scheme': 'http', 'net.peer.name': 'svc', 'http.target': '/y' },
      want: 'http://svc/y',
    },
    {
      title: 'peer attributes do not make a URL for a span of unknown side',
      kind: 'INTERNAL',
      attrs: { 'http.scheme': 'http', 'net.peer.name': 'svc', 'http.target': '/y' },
      want: '',
    },
    {
      title: 'a server span does not use the peer',
      kind: 'SERVER',
      attrs: { 'http.scheme': 'http', 'net.peer.name': 'caller', 'http.target': '/y' },
      want: '',
    },
    { title: 'no target, no URL', kind: 'SERVER', attrs: { 'http.scheme': 'http', 'http.host': 'h' }, want: '' },
    { title: 'no scheme, no URL', kind: 'SERVER', attrs: { 'http.host': 'h', 'http.target': '/y' }, want: '' },
    {
      title: 'x-forwarded-proto names the built URL scheme before http.scheme',
      attrs: { 'http.request.header.x-forwarded-proto': 'https', 'http.scheme': 'http', 'http.host': 'h', 'http.target': '/' },
      want: 'https://h/',
    },
  ];
  checkRows(t, httpUrl, rows);
});

t.test('the scheme prefers https named by a proxy header over the URL', async (t) => {
  checkRows(t, httpScheme, [
    { title: 'https from the URL', attrs: { 'http.url': 'https://example.ai/apis' }, want: 'https' },
    {
      title: 'URL http, x-forwarded-proto https',
      attrs: { 'http.url': 'http://example.ai/', 'http.request.header.x-forwarded-proto': 'https' },
      want: 'https',
    },
    {
      title: 'URL http, Forwarded proto=https',
      attrs: { 'http.url': 'http://example.ai/', 'http.request.header.forwarded': 'for=1.2.3.4;proto=https;by=5.6.7.8' },
      want: 'https',
    },
    {
      title: 'URL http, Origin https',
      attrs: { 'http.url': 'http://example.ai/', 'http.request.header.origin': 'https://app.example' },
      want: 'https',
    },
    {
      title: 'URL https is kept even when a header says http',
      attrs: { 'http.url': 'https://example.ai/', 'http.request.header.x-forwarded-proto': 'http' },
      want: 'https',
    },
    {
      title: 'URL http with an http header stays http',
      attrs: { 'http.url': 'http://example.ai:9000/?a1=v1', 'http.request.header.x-forwarded-proto': 'http' },
      want: 'http',
    },
    {
      title: 'without a URL the Forwarded header beats Origin',
      attrs: { 'http.request.header.forwarded': 'proto=http', 'http.request.header.origin': 'https://x.example' },
      want: 'http',
    },
    {
      title: 'without a URL Origin beats x-forwarded-proto',
      attrs: { 'http.request.header.origin': 'https://x.example', 'http.request.header.x-forwarded-proto': 'http' },
      want: 'https',
    },
    { title: 'a quoted Forwarded proto', attrs: { 'http.request.header.forwarded': 'for="_a";proto="HTTPS"' }, want: 'https' },
    { title: 'the first of an x-forwarded-proto list', attrs: { 'http.request.header.x-forwarded-proto': 'https, http' }, want: 'https' },
    { title: 'an OTel header array', attrs: { 'http.request.header.x-forwarded-proto': '["https"]' }, want: 'https' },
    { title: 'an Origin of "null" names no scheme', attrs: { 'http.request.header.origin': 'null', 'http.scheme': 'http' }, want: 'http' },
    { title: 'http.scheme beats url.scheme', attrs: { 'http.scheme': 'http', 'url.scheme': 'https' }, want: 'http' },
    { title: 'new OTel url.scheme alone', attrs: { 'url.scheme': 'https' }, want: 'https' },
    { title: 'a relative URL has no scheme', attrs: { 'http.url': '/apis/5673/events?a1=v1&a2=v2' }, want: '' },
  ]);
});

t.test('the host is the URL authority, else the host keys', async (t) => {
  checkRows(t, httpHost, [
    { title: 'host of the URL', attrs: { 'http.url': 'https://example.ai/apis/5673/events' }, want: 'example.ai' },
    { title: 'host and port of the URL', attrs: { 'http.url': 'http://example.ai:9000/?a1=v1&a2=v2' }, want: 'example.ai:9000' },
    { title: "the scheme's default port is dropped", attrs: { 'url.full': 'https://example.ai:443/x' }, want: 'example.ai' },
    { title: 'relative URL: http.host', attrs: { 'http.url': '/rel', 'http.host': 'h.example:8080' }, want: 'h.example:8080' },
    { title: 'http.host beats the Host header', attrs: { 'http.host': 'a.example', 'http.request.header.host': 'b.example' }, want: 'a.example' },
    { title: 'the Host header alone', attrs: { 'http.request.header.host': 'b.example' }, want: 'b.example' },
    { title: 'server.address and server.port', attrs: { 'server.address': 'c.example', 'server.port': '8080' }, want: 'c.example:8080' },
    { title: 'a relative URL alone gives no host', attrs: { 'http.url': '/apis/5673/events?a1=v1&a2=v2' }, want: '' },
  ]);
});

t.test('the path comes from the path keys, else the URL, normalized without trailing slashes', async (t) => {
  checkRows(t, httpPath, [
    { title: 'http.path beats http.target', attrs: { 'http.path': '/a', 'http.target': '/b?x=1' }, want: '/a' },
    { title: 'http.target without its query', attrs: { 'http.target': '/b/c?x=1' }, want: '/b/c' },
    { title: 'http.target beats url.path', attrs: { 'http.target': '/old', 'url.path': '/new' }, want: '/old' },
    { title: 'new OTel url.path', attrs: { 'url.path': '/new/' }, want: '/new' },
    { title: 'invalid and blank path values give no path', attrs: { 'http.request.path': 'path1', 'http.path': '  ' }, want: '' },
    { title: 'a path not starting with "/" is skipped', attrs: { 'http.request.path': 'path1', 'http.path': '/ok' }, want: '/ok' },
    { title: 'one trailing slash is stripped', attrs: { 'http.path': '/apis/5673/events/' }, want: '/apis/5673/events' },
    { title: 'all trailing slashes are stripped', attrs: { 'http.path': '/a//' }, want: '/a' },
    { title: 'the root path stays "/"', attrs: { 'http.request.path': '/', 'http.path': '/x' }, want: '/' },
    { title: 'a URL without a path gives "/"', attrs: { 'http.url': 'https://example.ai' }, want: '/' },
    {
      title: 'the URL path loses its trailing slash and query',
      attrs: { 'http.url': 'https://example.ai/apis/5673/events/?a1=v1&a2=v2' },
      want: '/apis/5673/events',
    },
    { title: 'the path of a relative URL', attrs: { 'http.url': '/apis/5673/events?a1=v1&a2=v2' }, want: '/apis/5673/events' },
    { title: 'dot segments are resolved', attrs: { 'http.path': '/a/./b/../c' }, want: '/a/c' },
    {
      title: 'path keys beat the URL',
      attrs: { 'http.url': 'http://example.ai:9000/apis/4533?a1=v1', 'http.path': '/some-test-path' },
      want: '/some-test-path',
    },
    { title: 'nothing gives an empty path', attrs: { 'http.method': 'GET' }, want: '' },
  ]);
});

t.test('the query string comes from the query keys, else the URL', async (t) => {
  checkRows(t, httpQueryString, [
    {
      title: 'http.request.query_string beats the URL',
      attrs: { 'http.url': 'http://example.ai:9000/apis/4533?a1=v1', 'http.request.query_string': 'some-query-str=v1' },
      want: 'some-query-str=v1',
    },
    { title: 'new OTel url.query beats the URL', attrs: { 'url.query': 'q=1', 'url.full': 'http://x.example/p?z=9' }, want: 'q=1' },
    { title: 'the query of the URL', attrs: { 'http.url': 'https://example.ai/apis?a1=v1&a2=v2' }, want: 'a1=v1&a2=v2' },
    { title: 'a URL without a query', attrs: { 'http.url': 'https://example.ai/apis/5673/events' }, want: '' },
    { title: 'the query of http.target when no URL can be built', attrs: { 'http.target': '/p?k=v' }, want: 'k=v' },
  ]);
});

t.test('the user agent follows the Hypertrace key order with user_agent.original last', async (t) => {
  checkRows(t, userAgent, [
    { title: 'user_agent beats user-agent', attrs: { user_agent: 'UA 2', 'user-agent': 'UA 3' }, want: 'UA 2' },
    { title: 'user-agent beats the header', attrs: { 'user-agent': 'UA 3', 'http.request.header.user-agent': 'UA 4' }, want: 'UA 3' },
    { title: 'the header beats http.user_agent', attrs: { 'http.request.header.user-agent': 'UA 4', 'http.user_agent': 'UA 5' }, want: 'UA 4' },
    { title: 'http.user_agent beats user_agent.original', attrs: { 'http.user_agent': 'UA 5', 'user_agent.original': 'UA 6' }, want: 'UA 5' },
    { title: 'new OTel user_agent.original alone', attrs: { 'user_agent.original': 'UA 6' }, want: 'UA 6' },
    { title: 'an empty value is skipped', attrs: { 'user.agent': '', 'http.user_agent': 'UA 5' }, want: 'UA 5' },
    { title: 'an OTel header array is unwrapped', attrs: { 'http.request.header.user-agent': '["curl/8.0"]' }, want: 'curl/8.0' },
  ]);
});

t.test('request and response sizes take the first integer size key, else the body length', async (t) => {
  checkRows(t, httpRequestSize, [
    { title: 'http.request.size beats http.request_content_length', attrs: { 'http.request.size': '40', 'http.request_content_length': '100' }, want: 40 },
    { title: 'old OTel content length beats new body size', attrs: { 'http.request_content_length': '100', 'http.request.body.size': '60' }, want: 100 },
    { title: 'new OTel body size beats the header', attrs: { 'http.request.body.size': '60', 'http.request.header.content-length': '70' }, want: 60 },
    { title: 'the content-length header alone', attrs: { 'http.request.header.content-length': '["70"]' }, want: 70 },
    { title: 'a non-integer value is skipped', attrs: { request_size: 'abc', 'http.request.size': '12' }, want: 12 },
    { title: 'the captured body length', attrs: { 'http.request.body': 'hello' }, want: 5 },
    { title: 'a truncated body has no size', attrs: { 'http.request.body': 'hel', 'http.request.body.truncated': 'true' }, want: undefined },
    { title: 'no size keys and no body', attrs: {}, want: undefined },
  ]);
  checkRows(t, httpResponseSize, [
    { title: 'http.response.size beats the old OTel length', attrs: { 'http.response.size': '20', 'http.response_content_length': '200' }, want: 20 },
    { title: 'new OTel body size', attrs: { 'http.response.body.size': '25' }, want: 25 },
    { title: 'the response body length', attrs: { 'http.response.body': '{"ok":true}' }, want: 11 },
    { title: 'a truncated response body has no size', attrs: { 'http.response.body': '{', 'http.response.body.truncated': 'TRUE' }, want: undefined },
  ]);
});

t.test('the status code is the first integer status key, else 0', async (t) => {
  checkRows(t, httpStatusCode, [
    { title: 'http.status_code beats http.response.status_code', attrs: { 'http.status_code': '200', 'http.response.status_code': '500' }, want: 200 },
    { title: 'new OTel http.response.status_code alone', attrs: { 'http.response.status_code': '404' }, want: 404 },
    { title: 'a non-integer value is skipped', attrs: { 'http.status_code': 'OK', 'http.response.status_code': '503' }, want: 503 },
    { title: 'absent gives 0', attrs: { 'rpc.grpc.status_code': '5' }, want: 0 },
  ]);
});

t.test('each resolver answers the same however often and in whatever order it is asked', async (t) => {
  // The URL, its parts, the attribute scheme and the path are kept per span once worked out;
  // a span without any URL is worked out again on each call. Both must read alike.
  const shapes: Record<string, string>[] = [
    { 'http.url': 'http://shop.example.com:8080/a/b/?x=1', 'http.request.header.x-forwarded-proto': 'https', 'http.method': 'GET' },
    { 'url.scheme': 'http', 'server.address': 'catalog', 'server.port': '8080', 'url.path': '/api/products/7/', 'url.query': 'q=2' },
    { 'http.target': '/rel/path?y=3', 'http.request.path': '/explicit' },
    { 'db.system': 'redis', 'server.address': 'cache' },
    {},
  ];
  const ask = (span: ReturnType<typeof spanOf>) => [
    httpRequestUrl(span), httpUrl(span), httpScheme(span), httpHost(span), httpPath(span), httpQueryString(span),
  ];
  for (const attributes of shapes) {
    const first = ask(spanOf({ attrs: attributes, kind: 'CLIENT' }));
    const reversed = spanOf({ attrs: attributes, kind: 'CLIENT' });
    const backwards = [
      httpQueryString(reversed), httpPath(reversed), httpHost(reversed), httpScheme(reversed), httpUrl(reversed), httpRequestUrl(reversed),
    ].reverse();
    t.same(backwards, first, `${JSON.stringify(attributes)}: asked in the other order`);
    t.same(ask(reversed), first, 'asked again');
  }
  t.same(ask(spanOf({ attrs: shapes[1], kind: 'SERVER' })), [
    'http://catalog:8080/api/products/7/?q=2', 'http://catalog:8080/api/products/7/?q=2', 'http', 'catalog:8080', '/api/products/7', 'q=2',
  ]);
});
