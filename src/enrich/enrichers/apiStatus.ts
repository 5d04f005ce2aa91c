// ApiStatusEnricher: API_STATUS (SUCCESS / FAIL), API_STATUS_CODE and API_STATUS_MESSAGE for HTTP
// and gRPC spans. HTTP: 2xx and 3xx succeed; the message is the recorded status message, else the
// standard reason phrase. gRPC: OK succeeds; the message is the status or error message, else the
// code's name.

import { STATUS_CODES } from 'node:http';
import { grpcStatusCode, grpcStatusMessage, grpcStatusName, httpStatusCode, valueOf } from '../../normalize/index.ts';
import type { Span } from '../../model/span.ts';
import type { Enricher } from '../enricher.ts';
import type { ApiStatus, Protocol } from '../types.ts';

export interface ApiStatusResult {
  status: ApiStatus;
  code: string;
  message: string;
}

export function httpApiStatus(span: Span): ApiStatusResult | undefined {
  const code = httpStatusCode(span);
  if (code <= 0) return undefined;
  const status: ApiStatus = code >= 200 && code < 400 ? 'SUCCESS' : 'FAIL';
  const message = valueOf(span.attributes, 'http.response.status_message') || STATUS_CODES[code] || '';
  return { status, code: String(code), message };
}

export function grpcApiStatus(span: Span): ApiStatusResult | undefined {
  const code = grpcStatusCode(span);
  if (code < 0) return undefined;
  const message = grpcStatusMessage(span) || grpcStatusName(code);
  return { status: code === 0 ? 'SUCCESS' : 'FAIL', code: String(code), message };
}

export function apiStatusOf(span: Span, protocol: Protocol): ApiStatusResult | undefined {
  if (protocol === 'HTTP' || protocol === 'HTTPS') return httpApiStatus(span);
  if (protocol === 'GRPC') return grpcApiStatus(span);
  return undefined;
}

export const apiStatusEnricher: Enricher = {
  name: 'ApiStatus',
  dependsOn: ['SpanType'],
  enrich({ trace }) {
    const { protocol, apiStatus, apiStatusCode, apiStatusMessage } = trace.enriched;
    for (let i = 0; i < trace.spans.length; i++) {
      const result = apiStatusOf(trace.spans[i], protocol[i]);
      if (result === undefined) continue;
      apiStatus[i] = result.status;
      apiStatusCode[i] = result.code;
      apiStatusMessage[i] = result.message;
    }
  },
};
