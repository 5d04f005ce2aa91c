import t from 'tap';
import { hostPortOfUrl, otPeerUri, otelPeerUri, sanitizeAuthority } from '../../src/normalize/index.ts';
import { checkRows } from './rows.ts';

t.test('the OpenTracing peer is peer.hostname, peer.ipv4 or peer.ipv6 with peer.port', async (t) => {
  checkRows(t, otPeerUri, [
    { title: 'peer.hostname beats peer.ipv4', attrs: { 'peer.hostname': 'db', 'peer.ipv4': '10.0.0.1', 'peer.port': '5432' }, want: 'db:5432' },
    { title: 'peer.ipv4 without a port', attrs: { 'peer.ipv4': '10.0.0.1' }, want: '10.0.0.1' },
    { title: 'a bracketed peer.ipv6', attrs: { 'peer.ipv6': 'fe80::1', 'peer.port': '80' }, want: '[fe80::1]:80' },
    { title: 'a port alone is no peer', attrs: { 'peer.port': '80' }, want: '' },
  ]);
});

t.test('the OTel peer reads old and new network names with their own ports', async (t) => {
  checkRows(t, otelPeerUri, [
    {
      title: 'net.peer.name beats server.address',
      attrs: { 'net.peer.name': 'old', 'net.peer.port': '1', 'server.address': 'new', 'server.port': '2' },
      want: 'old:1',
    },
    { title: 'server.address with server.port', attrs: { 'server.address': 'new', 'server.port': '2', 'net.sock.peer.addr': '10.0.0.2' }, want: 'new:2' },
    { title: 'net.sock.peer.addr with its port', attrs: { 'net.sock.peer.addr': '10.0.0.2', 'net.sock.peer.port': '3' }, want: '10.0.0.2:3' },
    {
      title: 'network.peer.address beats net.peer.ip',
      attrs: { 'network.peer.address': '10.0.0.3', 'network.peer.port': '4', 'net.peer.ip': '10.0.0.4' },
      want: '10.0.0.3:4',
    },
    { title: 'net.peer.ip with net.peer.port', attrs: { 'net.peer.ip': '10.0.0.4', 'net.peer.port': '5' }, want: '10.0.0.4:5' },
    { title: 'an IPv6 address is bracketed', attrs: { 'network.peer.address': '2001:db8::1', 'network.peer.port': '443' }, want: '[2001:db8::1]:443' },
    { title: 'none', attrs: { 'peer.hostname': 'ot-only' }, want: '' },
  ]);
});

t.test('authorities and URLs reduce to host and port', async (t) => {
  const authorities: [string, string, string][] = [
    ['a bare host', 'svc', 'svc'],
    ['host and port', 'svc:50051', 'svc:50051'],
    ['user info is dropped', 'me@svc:50051', 'svc:50051'],
    ['localhost names no backend', 'LOCALHOST:50051', ''],
    ['an empty host is rejected', ':9000', ''],
    ['a URL authority', 'dns://svc.ns:443/x', 'svc.ns:443'],
    ['a bracketed IPv6 authority', '[::1]:50051', '[::1]:50051'],
    ['blank', '  ', ''],
  ];
  for (const [title, input, want] of authorities) t.equal(sanitizeAuthority(input), want, title);
  const urls: [string, string, string][] = [
    ['https without a port', 'https://sqs.example/1/q', 'sqs.example'],
    ['an explicit port', 'http://h:4566/x', 'h:4566'],
    ['not a URL', 'h:4566', ''],
  ];
  for (const [title, input, want] of urls) t.equal(hostPortOfUrl(input), want, title);
});
