import t from 'tap';
import { enrich } from '../build.ts';

t.test('gRPC spans get the endpoint and a Recv./Sent. request URL', async (t) => {
  const { trace, at } = await enrich([
    { id: 'client', kind: 'CLIENT', service: 'front', attrs: { 'rpc.system': 'grpc', 'rpc.service': 'shop.Cart', 'rpc.method': 'Get' } },
    { id: 'server', parent: 'client', kind: 'SERVER', service: 'cart', attrs: { 'rpc.system': 'grpc', 'rpc.request.metadata.:path': '/shop.Cart/Get' } },
    { id: 'http', parent: 'server', kind: 'CLIENT', service: 'cart', attrs: { 'http.url': 'http://x/y' } },
  ]);
  const { grpcEndpoint, grpcUrl } = trace.enriched;
  t.same([grpcEndpoint[at('client')], grpcUrl[at('client')]], ['shop.Cart.Get', 'Sent.shop.Cart.Get']);
  t.same([grpcEndpoint[at('server')], grpcUrl[at('server')]], ['shop.Cart.Get', 'Recv.shop.Cart.Get']);
  t.same([grpcEndpoint[at('http')], grpcUrl[at('http')]], ['', '']);
});
