import t from 'tap';
import { UserAgentParser, MAX_USER_AGENT_LENGTH } from '../../../src/enrich/userAgentParser.ts';
import { enrich } from '../build.ts';

const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const CURL = 'curl/8.4.0';
const PYTHON = 'python-requests/2.31.0';

t.test('user agents are parsed into name, type, device, OS and version', async (t) => {
  const parser = new UserAgentParser();
  t.same(parser.parse(CHROME_MAC), { name: 'Chrome', type: 'browser', deviceCategory: 'desktop', osName: 'Mac OS', osVersion: '10.15.7', browserVersion: '120.0.0.0' });
  t.match(parser.parse(SAFARI_IPHONE), { name: 'Mobile Safari', type: 'browser', deviceCategory: 'mobile', osName: 'iOS', osVersion: '17.1' });
  t.match(parser.parse(GOOGLEBOT), { name: 'Googlebot', type: 'crawler', deviceCategory: 'other' });
  t.match(parser.parse(CURL), { name: 'curl', type: 'cli', browserVersion: '8.4.0' });
  t.match(parser.parse(PYTHON), { name: 'python-requests', type: 'library', deviceCategory: 'other' });
  t.same(parser.parse('???'), { name: '', type: '', deviceCategory: '', osName: '', osVersion: '', browserVersion: '' });
});

t.test('a very long user agent is cut before parsing and parsing is cached', async (t) => {
  const parser = new UserAgentParser({ cacheSize: 2 });
  const long = CHROME_MAC + ' x'.repeat(MAX_USER_AGENT_LENGTH);
  const a = parser.parse(long);
  t.equal(parser.parse(long), a, 'the same object comes from the cache');
  t.equal(a.name, 'Chrome');
});

t.test('HTTP spans read the user-agent keys, gRPC spans the request metadata', async (t) => {
  const { trace, at } = await enrich([
    { id: 'web', kind: 'SERVER', attrs: { 'http.method': 'GET', 'http.target': '/', 'user_agent.original': SAFARI_IPHONE } },
    { id: 'rpc', parent: 'web', kind: 'CLIENT', attrs: { 'rpc.system': 'grpc', 'rpc.request.metadata.user-agent': CHROME_MAC } },
    { id: 'other', parent: 'web', kind: 'CLIENT', attrs: { 'user-agent': CURL } },
  ]);
  t.equal(trace.enriched.userAgent[at('web')]?.osName, 'iOS');
  t.match(trace.enriched.userAgent[at('rpc')], { name: 'Chrome' });
  t.equal(trace.enriched.userAgent[at('other')], null, 'a span of no known protocol is not parsed');
});
