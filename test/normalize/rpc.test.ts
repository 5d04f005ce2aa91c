import t from 'tap';
import {
  grpcEndpoint,
  grpcStatusCode,
  grpcStatusMessage,
  grpcStatusName,
  grpcUri,
  rpcMethod,
  rpcOperation,
  rpcService,
  rpcSystem,
} from '../../src/normalize/index.ts';
import { checkRows } from './rows.ts';

t.test('the RPC system reads rpc.system, then the new rpc.system.name, lower-cased', async (t) => {
  checkRows(t, rpcSystem, [
    { title: 'rpc.system beats rpc.system.name', attrs: { 'rpc.system': 'grpc', 'rpc.system.name': 'dubbo' }, want: 'grpc' },
    { title: 'new OTel rpc.system.name alone', attrs: { 'rpc.system.name': 'connectrpc' }, want: 'connectrpc' },
    { title: 'old rpc.system alone, lower-cased', attrs: { 'rpc.system': 'GRPC' }, want: 'grpc' },
    { title: 'none gives an empty string', attrs: { component: 'grpc' }, want: '' },
  ]);
});

t.test('the gRPC status code follows the Hypertrace order and reads status names', async (t) => {
  checkRows(t, grpcStatusCode, [
    { title: 'rpc.grpc.status_code beats status.code', attrs: { 'rpc.grpc.status_code': '5', 'status.code': '2' }, want: 5 },
    { title: 'status.code beats grpc.status_code', attrs: { 'status.code': '2', 'grpc.status_code': '3' }, want: 2 },
    { title: 'grpc.status_code beats rpc.status_code', attrs: { 'grpc.status_code': '3', 'rpc.status_code': '7' }, want: 3 },
    { title: 'new OTel rpc.status_code holds a status name', attrs: { 'rpc.status_code': 'NOT_FOUND' }, want: 5 },
    { title: 'a status name in any case', attrs: { 'rpc.status_code': 'deadline_exceeded' }, want: 4 },
    { title: 'rpc.response.status_code', attrs: { 'rpc.response.status_code': 'UNAVAILABLE' }, want: 14 },
    { title: 'OpenCensus census.status_code last', attrs: { 'census.status_code': '7' }, want: 7 },
    { title: 'OK is 0, not absent', attrs: { 'rpc.grpc.status_code': '0' }, want: 0 },
    { title: 'an unreadable value is skipped', attrs: { 'rpc.grpc.status_code': 'bogus', 'grpc.status_code': '3' }, want: 3 },
    { title: 'a JSON-RPC negative code is not a gRPC code', attrs: { 'rpc.status_code': '-32602' }, want: -1 },
    { title: 'absent gives -1', attrs: { 'http.status_code': '200' }, want: -1 },
  ]);
  t.equal(grpcStatusName(5), 'NOT_FOUND', 'code 5 is NOT_FOUND');
  t.equal(grpcStatusName(16), 'UNAUTHENTICATED', 'code 16 is UNAUTHENTICATED');
  t.equal(grpcStatusName(17), '', 'an unknown code has no name');
});

t.test('the gRPC status message falls back to the error message', async (t) => {
  checkRows(t, grpcStatusMessage, [
    { title: 'status.message beats envoy grpc.message', attrs: { 'status.message': 'm1', 'grpc.message': 'm2' }, want: 'm1' },
    { title: 'envoy grpc.message alone', attrs: { 'grpc.message': 'm2' }, want: 'm2' },
    {
      title: 'exception.message on a gRPC span',
      attrs: { 'rpc.system': 'grpc', 'exception.message': 'boom', 'rpc.error_message': 'rpc', 'grpc.error_message': 'agent' },
      want: 'boom',
    },
    { title: 'rpc.error_message on a gRPC span', attrs: { 'rpc.system.name': 'grpc', 'rpc.error_message': 'rpc' }, want: 'rpc' },
    {
      title: 'exception.message is not a gRPC message on a non-gRPC span',
      attrs: { 'exception.message': 'boom', 'grpc.error_message': 'agent' },
      want: 'agent',
    },
    { title: 'none gives an empty string', attrs: { 'rpc.system': 'grpc' }, want: '' },
  ]);
});

t.test('the gRPC URI is the agent host_port, a sanitized authority, else the OTel peer', async (t) => {
  checkRows(t, grpcUri, [
    {
      title: 'grpc.host_port wins',
      attrs: { 'grpc.host_port': 'cart:7070', 'rpc.system': 'grpc', 'rpc.request.metadata.:authority': 'other:1' },
      want: 'cart:7070',
    },
    {
      title: 'the :authority metadata without its user info',
      attrs: { 'rpc.system': 'grpc', 'rpc.request.metadata.:authority': 'user@svc.ns:50051', 'net.peer.name': 'peer' },
      want: 'svc.ns:50051',
    },
    {
      title: 'a localhost authority is rejected for the OTel peer',
      attrs: { 'rpc.system': 'grpc', 'rpc.request.metadata.:authority': 'localhost:50051', 'net.peer.name': 'backend', 'net.peer.port': '50051' },
      want: 'backend:50051',
    },
    { title: 'an authority given as a URL', attrs: { 'rpc.system': 'grpc', 'rpc.request.metadata.:authority': 'http://svc:81/x' }, want: 'svc:81' },
    { title: 'envoy grpc.authority', attrs: { 'grpc.authority': 'upstream:8080' }, want: 'upstream:8080' },
    {
      title: 'new OTel names: rpc.system.name with server.address and server.port',
      attrs: { 'rpc.system.name': 'grpc', 'server.address': 'checkout', 'server.port': '5050' },
      want: 'checkout:5050',
    },
    { title: 'peer attributes alone do not make a gRPC URI', attrs: { 'net.peer.name': 'backend', 'net.peer.port': '1' }, want: '' },
    {
      title: 'the :authority metadata is ignored on a non-gRPC span',
      attrs: { 'rpc.request.metadata.:authority': 'svc:1' },
      want: '',
    },
  ]);
});

t.test('the gRPC endpoint strips Recv./Sent. and turns path slashes into dots', async (t) => {
  checkRows(t, grpcEndpoint, [
    { title: 'Recv. prefix', name: 'Recv.hipstershop.CartService.GetCart', attrs: { 'rpc.service': 'x', 'rpc.method': 'y' }, want: 'hipstershop.CartService.GetCart' },
    { title: 'Sent. prefix', name: 'Sent.pkg.Svc.Do', attrs: {}, want: 'pkg.Svc.Do' },
    {
      title: ':path metadata beats rpc.service and rpc.method',
      name: 'op',
      attrs: { 'rpc.request.metadata.:path': '/hipstershop.CartService/GetCart', 'rpc.service': 'a', 'rpc.method': 'b' },
      want: 'hipstershop.CartService.GetCart',
    },
    { title: 'rpc.service and rpc.method', attrs: { 'rpc.service': 'pkg.Svc', 'rpc.method': 'Method', 'grpc.path': '/x/y' }, want: 'pkg.Svc.Method' },
    { title: 'a fully-qualified new OTel rpc.method', attrs: { 'rpc.method': 'pkg.Svc/Method' }, want: 'pkg.Svc.Method' },
    { title: 'the :path request header, empty parts dropped', attrs: { 'http.request.header.:path': '//a//b/', 'grpc.path': '/x/y' }, want: 'a.b' },
    { title: 'agent grpc.path', attrs: { 'grpc.path': '/x.Svc/Get' }, want: 'x.Svc.Get' },
    { title: 'the span name last', name: 'custom-name', attrs: { 'rpc.method': 'OnlyMethod' }, want: 'custom-name' },
  ]);
});

t.test('service, method and operation read both the split and the fully-qualified forms', async (t) => {
  checkRows(t, rpcService, [
    { title: 'rpc.service', attrs: { 'rpc.service': 'pkg.Svc', 'rpc.method': 'other.Svc/M' }, want: 'pkg.Svc' },
    { title: 'the service of a fully-qualified rpc.method', attrs: { 'rpc.method': '/pkg.Svc/M' }, want: 'pkg.Svc' },
    { title: 'a bare method names no service', attrs: { 'rpc.method': 'M' }, want: '' },
  ]);
  checkRows(t, rpcMethod, [
    { title: 'a bare rpc.method', attrs: { 'rpc.method': 'GetCart' }, want: 'GetCart' },
    { title: 'the method of a fully-qualified rpc.method', attrs: { 'rpc.method': 'pkg.Svc/GetCart' }, want: 'GetCart' },
    { title: 'none gives an empty string', attrs: { 'grpc.method': '/pkg.Svc/GetCart' }, want: '' },
  ]);
  checkRows(t, rpcOperation, [
    { title: 'agent grpc.method beats rpc.method', attrs: { 'grpc.method': '/pkg.Svc/A', 'rpc.method': 'B' }, want: '/pkg.Svc/A' },
    { title: 'rpc.method alone', attrs: { 'rpc.method': 'B' }, want: 'B' },
  ]);
});
