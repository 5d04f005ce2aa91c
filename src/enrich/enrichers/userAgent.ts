// UserAgentSpanEnricher: the caller's user agent, parsed. HTTP spans read the user-agent
// resolver (request header first), gRPC spans the request metadata.

import { grpcUserAgent, userAgent } from '../../normalize/index.ts';
import type { Enricher } from '../enricher.ts';
import type { UserAgentParser } from '../userAgentParser.ts';

export function createUserAgentEnricher(parser: UserAgentParser): Enricher {
  return {
    name: 'UserAgent',
    dependsOn: ['SpanType'],
    enrich({ trace }) {
      const { protocol, userAgent: column } = trace.enriched;
      for (let i = 0; i < trace.spans.length; i++) {
        const p = protocol[i];
        const span = trace.spans[i];
        const ua = p === 'HTTP' || p === 'HTTPS' ? userAgent(span) : p === 'GRPC' ? grpcUserAgent(span) : '';
        if (ua !== '') column[i] = parser.parse(ua);
      }
    },
  };
}
