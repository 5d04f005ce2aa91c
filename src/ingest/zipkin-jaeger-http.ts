// The all-or-nothing HTTP receivers: Zipkin v2 (`POST /api/v2/spans`, JSON or proto3, 202 as
// Zipkin answers) and the Jaeger UI JSON import (mounted by the node on its main HTTP port).
// One invalid span refuses the whole request with 400 and nothing is appended.

import type { ServerResponse } from 'node:http';
import { TesseraError, asTesseraError } from '../errors.ts';
import type { Span } from '../model/span.ts';
import {
  type HandlerOptions, type RequestHandler, TENANT_HEADER, jsonErrorBody, logUnexpected, mediaTypeOf, methodNotAllowed,
  pathOf, readBody, refusalsOf, sendError, tenantOf,
} from './http-edge.ts';
import { decodeJaegerUiJson } from './jaeger-ui-json.ts';
import { decodeZipkinJson } from './zipkin-json.ts';
import { decodeZipkinProto } from './zipkin-proto.ts';

export const ZIPKIN_SPANS_PATH = '/api/v2/spans';

type Decode = (body: Buffer, tenant: string) => Span[];

interface SpanListReceiver {
  name: string;
  /** Serve only this path (undefined: whatever path the handler is mounted on). */
  path?: string;
  /** Decoders by media type ('' = no Content-Type given). */
  decoders: Record<string, Decode>;
  succeed(res: ServerResponse, spans: Span[]): void;
}

const JSON_ONLY = (decode: Decode): Record<string, Decode> => ({ '': decode, 'application/json': decode, 'text/json': decode });

/** Zipkin v2 JSON spans endpoint as a node `http` handler (serves only `/api/v2/spans`). */
export function buildZipkinHandler(opts: HandlerOptions): RequestHandler {
  return buildSpanListHandler(opts, {
    name: 'zipkin',
    path: ZIPKIN_SPANS_PATH,
    decoders: { ...JSON_ONLY(decodeZipkinJson), 'application/x-protobuf': decodeZipkinProto, 'application/protobuf': decodeZipkinProto },
    succeed: (res) => {
      res.writeHead(202, { 'content-length': 0 });
      res.end();
    },
  });
}

/**
 * Jaeger UI JSON import (`{data:[{traceID, spans, processes}]}`) as a node `http` handler for
 * any path; answers 200 with `{"spans": n, "traces": n}` once every span is in the span log.
 */
export function buildJaegerImportHandler(opts: HandlerOptions): RequestHandler {
  return buildSpanListHandler(opts, {
    name: 'jaeger-import',
    decoders: JSON_ONLY(decodeJaegerUiJson),
    succeed: (res, spans) => {
      const body = JSON.stringify({ spans: spans.length, traces: new Set(spans.map((s) => s.traceId)).size });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  });
}

function buildSpanListHandler(opts: HandlerOptions, receiver: SpanListReceiver): RequestHandler {
  const refusals = refusalsOf(opts);
  return (req, res) => {
    const answer = async () => {
      if (receiver.path !== undefined && pathOf(req) !== receiver.path) {
        throw new TesseraError('NOT_FOUND', `no ${receiver.name} endpoint at ${pathOf(req)}; spans go to POST ${receiver.path}`);
      }
      if (req.method !== 'POST') throw methodNotAllowed(req, res, 'POST');
      const type = mediaTypeOf(req);
      const decode = Object.hasOwn(receiver.decoders, type) ? receiver.decoders[type] : undefined;
      if (!decode) {
        const supported = Object.keys(receiver.decoders).filter(Boolean).join(' or ');
        throw new TesseraError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(type)} is not supported; use ${supported}`);
      }
      const tenant = tenantOf(req.headers[TENANT_HEADER], opts.defaultTenant);
      const body = await readBody(req, opts.maxBodyBytes);
      const refused = opts.sink.refusal?.();
      if (refused) throw refused;
      const spans = decode(body, tenant);
      if (spans.length > 0) await opts.sink.accept(spans);
      receiver.succeed(res, spans);
    };
    answer().catch((caught: unknown) => {
      const err = asTesseraError(caught);
      refusals.refuse(receiver.name, err.code, err.message);
      logUnexpected(opts.logger, receiver.name, err);
      sendError(res, err, 'application/json', jsonErrorBody(err));
    });
  };
}
