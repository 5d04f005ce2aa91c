// GrpcAttributeEnricher: for gRPC spans, the called endpoint (`grpc.request.endpoint`) and the
// request URL (`grpc.request.url`): "Recv." on an entry span, "Sent." on an exit, then the endpoint.

import { grpcEndpoint } from '../../normalize/index.ts';
import type { Enricher } from '../enricher.ts';

export const grpcAttributesEnricher: Enricher = {
  name: 'GrpcAttributes',
  dependsOn: ['SpanType', 'ApiBoundary'],
  enrich({ trace }) {
    const { protocol, spanType, grpcEndpoint: endpoints, grpcUrl } = trace.enriched;
    for (let i = 0; i < trace.spans.length; i++) {
      if (protocol[i] !== 'GRPC') continue;
      const endpoint = grpcEndpoint(trace.spans[i]);
      endpoints[i] = endpoint;
      const prefix = spanType[i] === 'ENTRY' ? 'Recv.' : spanType[i] === 'EXIT' ? 'Sent.' : '';
      grpcUrl[i] = prefix + endpoint;
    }
  },
};
