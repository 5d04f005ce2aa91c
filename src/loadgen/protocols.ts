// The four protocols the generator speaks: how each encodes a batch, where it is sent by
// default, and which transport carries it.

import { encodeOtlpJson } from './encode/otlp-json.ts';
import { encodeOtlpProtoWith } from './encode/otlp-proto.ts';
import { PbWriter } from './encode/pb-writer.ts';
import { encodeZipkin } from './encode/zipkin.ts';
import type { Encoder } from './runner.ts';
import type { Transport } from './transport/api.ts';
import { GrpcTransport } from './transport/grpc.ts';
import { HttpTransport } from './transport/http.ts';

export const PROTOCOLS = ['otlp-grpc', 'otlp-http-proto', 'otlp-http-json', 'zipkin'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const DEFAULT_ENDPOINT: Record<Protocol, string> = {
  'otlp-grpc': 'http://localhost:4317',
  'otlp-http-proto': 'http://localhost:4318/v1/traces',
  'otlp-http-json': 'http://localhost:4318/v1/traces',
  zipkin: 'http://localhost:9411/api/v2/spans',
};

const DEFAULT_PATH: Record<Protocol, string> = {
  'otlp-grpc': '',
  'otlp-http-proto': '/v1/traces',
  'otlp-http-json': '/v1/traces',
  zipkin: '/api/v2/spans',
};

/** The endpoint with the protocol's standard path added when the URL names none. */
export function resolveEndpoint(protocol: Protocol, endpoint: string): string {
  if (protocol === 'otlp-grpc') return endpoint;
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = DEFAULT_PATH[protocol];
  return url.toString();
}

/** A fresh encoder (the protobuf one owns a reusable write buffer). */
export function encoderFor(protocol: Protocol): Encoder {
  switch (protocol) {
    case 'otlp-grpc':
    case 'otlp-http-proto': {
      const writer = new PbWriter();
      return (spans) => encodeOtlpProtoWith(writer, spans);
    }
    case 'otlp-http-json':
      return encodeOtlpJson;
    case 'zipkin':
      return encodeZipkin;
  }
}

export interface TransportOptions {
  tenant: string | null;
  concurrency: number;
  timeoutMs: number;
  gzip: boolean;
}

export function transportFor(protocol: Protocol, endpoint: string, opts: TransportOptions): Transport {
  if (protocol === 'otlp-grpc') return new GrpcTransport({ endpoint, ...opts });
  const url = new URL(resolveEndpoint(protocol, endpoint));
  return new HttpTransport({
    url, ...opts,
    contentType: protocol === 'otlp-http-proto' ? 'application/x-protobuf' : 'application/json',
    otlpResponse: protocol === 'otlp-http-proto' ? 'proto' : protocol === 'otlp-http-json' ? 'json' : null,
  });
}
