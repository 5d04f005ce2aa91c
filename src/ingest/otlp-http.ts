// OTLP/HTTP: `POST /v1/traces` with application/x-protobuf or application/json (optionally
// gzip). Answers in the request's own encoding: an ExportTraceServiceResponse (with
// partial_success when some spans were rejected), or a google.rpc.Status on error.

import type { ServerResponse } from 'node:http';
import { TesseraError, asTesseraError, grpcStatusOf, invalid } from '../errors.ts';
import {
  type HandlerOptions, type RequestHandler, TENANT_HEADER, logUnexpected, mediaTypeOf, methodNotAllowed, pathOf,
  readBody, refusalsOf, sendError, tenantOf,
} from './http-edge.ts';
import type { OtlpResult } from './otlp-common.ts';
import { decodeOtlpJson } from './otlp-json.ts';
import { decodeOtlpProto } from './otlp-proto.ts';
import { ExportTraceServiceResponse, RpcStatus } from './protos.ts';

export const OTLP_TRACES_PATH = '/v1/traces';
const RECEIVER = 'otlp-http';

type Format = 'protobuf' | 'json';

const FORMATS = new Map<string, Format>([
  ['application/x-protobuf', 'protobuf'],
  ['application/protobuf', 'protobuf'],
  ['application/json', 'json'],
]);

const CONTENT_TYPES: Record<Format, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** The OTLP/HTTP traces endpoint as a node `http` handler (serves only `/v1/traces`). */
export function buildOtlpHttpHandler(opts: HandlerOptions): RequestHandler {
  const refusals = refusalsOf(opts);
  return (req, res) => {
    let format: Format = 'json';
    const answer = async () => {
      if (pathOf(req) !== OTLP_TRACES_PATH) throw new TesseraError('NOT_FOUND', `no OTLP endpoint at ${pathOf(req)}; traces go to POST ${OTLP_TRACES_PATH}`);
      if (req.method !== 'POST') throw methodNotAllowed(req, res, 'POST');
      const known = FORMATS.get(mediaTypeOf(req));
      if (!known) {
        throw new TesseraError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(mediaTypeOf(req))} is not supported; use application/x-protobuf or application/json`);
      }
      format = known;
      const tenant = tenantOf(req.headers[TENANT_HEADER], opts.defaultTenant);
      const body = await readBody(req, opts.maxBodyBytes);
      const refused = opts.sink.refusal?.();
      if (refused) throw refused;
      const result = format === 'protobuf' ? decodeOtlpProto(body, tenant) : decodeOtlpJson(body, tenant);
      if (result.rejected > 0 && result.spans.length === 0) throw invalid(`OTLP: ${result.errorMessage}`);
      if (result.spans.length > 0) await opts.sink.accept(result.spans);
      if (result.rejected > 0) refusals.refuse(RECEIVER, 'INVALID_ARGUMENT', result.errorMessage, result.rejected);
      sendResult(res, format, result);
    };
    answer().catch((caught: unknown) => {
      const err = asTesseraError(caught);
      refusals.refuse(RECEIVER, err.code, err.message);
      logUnexpected(opts.logger, RECEIVER, err);
      sendStatus(res, format, err);
    });
  };
}

function sendResult(res: ServerResponse, format: Format, result: OtlpResult): void {
  const partial = result.rejected > 0 ? { rejectedSpans: result.rejected, errorMessage: result.errorMessage } : undefined;
  let body: Uint8Array | string;
  if (format === 'protobuf') {
    body = ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(partial ? { partialSuccess: partial } : {})).finish();
  } else {
    // int64 is a decimal string in the protobuf JSON mapping.
    body = JSON.stringify(partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {});
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[format], 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** An error as OTLP/HTTP answers it: a google.rpc.Status in the request's encoding. */
function sendStatus(res: ServerResponse, format: Format, err: TesseraError): void {
  const status = { code: grpcStatusOf(err), message: err.message };
  const body = format === 'protobuf' ? RpcStatus.encode(RpcStatus.fromObject(status)).finish() : JSON.stringify(status);
  sendError(res, err, CONTENT_TYPES[format], body);
}

