// What the HTTP receivers share: the options, the tenant header, reading a body under a limit
// (gzip/deflate decoded, the limit applied to both the wire and the decoded bytes, reading
// stopped as soon as it is passed), and the error answer with Retry-After.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { Logger } from 'pino';
import { TesseraError, httpStatusOf, invalid } from '../errors.ts';
import type { IngestSink } from './sink.ts';
import { RefusalLog } from './refusals.ts';

export interface HandlerOptions {
  sink: IngestSink;
  /** Tenant of requests without an `x-tenant-id` header. */
  defaultTenant: string;
  /** Largest accepted body, before and after decompression (bytes). */
  maxBodyBytes: number;
  logger: Logger;
  /** Shared by the receivers of one node; a handler built alone makes its own. */
  refusals?: RefusalLog;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export const TENANT_HEADER = 'x-tenant-id';
const TENANT_PATTERN = /^[\w.:@-]{1,128}$/;

/** The request's tenant: its `x-tenant-id` (gRPC metadata too), else the default tenant. */
export function tenantOf(header: string | string[] | undefined, defaultTenant: string): string {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined || value.trim() === '') return defaultTenant;
  const tenant = value.trim();
  if (!TENANT_PATTERN.test(tenant)) {
    throw invalid(`${TENANT_HEADER} must be 1-128 letters, digits or . _ : @ - (and given once), got ${JSON.stringify(tenant.slice(0, 140))}`);
  }
  return tenant;
}

/** The media type of the request without parameters, lower-cased ('' when absent). */
export function mediaTypeOf(req: IncomingMessage): string {
  const header = req.headers['content-type'] ?? '';
  return header.split(';')[0].trim().toLowerCase();
}

export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

const tooLarge = (limit: number) =>
  new TesseraError('PAYLOAD_TOO_LARGE', `request body is larger than the limit of ${limit} bytes`);

/**
 * Reads the whole body, decoded per Content-Encoding (identity, gzip, deflate). Rejects with
 * PAYLOAD_TOO_LARGE as soon as the limit is passed (stopping there: the rest is never buffered),
 * UNSUPPORTED_MEDIA_TYPE for another encoding, INVALID_ARGUMENT for a corrupt gzip stream.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let decoder: Transform | undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = createGunzip();
  else if (encoding === 'deflate') decoder = createInflate();
  else if (encoding !== 'identity' && encoding !== '') {
    return Promise.reject(new TesseraError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${JSON.stringify(encoding)} is not supported (use gzip, deflate or none)`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let size = 0;
    let settled = false;
    const fail = (err: TesseraError) => {
      if (settled) return;
      settled = true;
      if (decoder) {
        req.unpipe(decoder);
        decoder.destroy();
      }
      // Stop reading; the server discards whatever the client still sends.
      req.pause();
      reject(err);
    };
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooLarge(limit));
      else if (!settled) chunks.push(chunk);
    };
    req.on('error', (err) => fail(invalid(`request body could not be read (${err.message})`)));
    req.on('close', () => {
      if (!req.complete) fail(invalid('the client closed the connection before the body ended'));
    });
    if (decoder) {
      req.on('data', (chunk: Buffer) => {
        wireBytes += chunk.length;
        if (wireBytes > limit) fail(tooLarge(limit));
      });
      decoder.on('data', collect);
      decoder.on('error', (err) => fail(invalid(`request body is not valid ${encoding} (${err.message})`)));
      decoder.on('end', () => done());
      req.pipe(decoder);
    } else {
      req.on('data', collect);
      req.on('end', () => done());
    }
    function done() {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    }
  });
}

/** Marks the answer as 405 (with its Allow header) and returns the error to throw. */
export function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allowed: string): TesseraError {
  res.setHeader('allow', allowed);
  return new TesseraError('BAD_QUERY', `this endpoint accepts ${allowed} only, not ${req.method}`);
}

/**
 * Sends an error answer: the status from the error's code (405 after methodNotAllowed), with
 * Retry-After when the error says when to retry.
 */
export function sendError(res: ServerResponse, err: TesseraError, contentType: string, body: Uint8Array | string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': Buffer.byteLength(body) };
  if (err.retryAfterSec !== undefined) headers['retry-after'] = Math.max(1, Math.ceil(err.retryAfterSec));
  // Over the limit: the unread rest of the body must not keep the connection busy.
  if (err.code === 'PAYLOAD_TOO_LARGE') headers['connection'] = 'close';
  const status = res.hasHeader('allow') && err.code === 'BAD_QUERY' ? 405 : httpStatusOf(err);
  res.writeHead(status, headers);
  res.end(body);
}

/** A plain JSON error body for the non-OTLP receivers: the code and what was wrong. */
export function jsonErrorBody(err: TesseraError): string {
  return JSON.stringify({ code: err.code, message: err.message });
}

export function refusalsOf(opts: HandlerOptions): RefusalLog {
  return opts.refusals ?? new RefusalLog(opts.logger);
}

/** Logs what a receiver could not have expected (a bug, not a client's mistake). */
export function logUnexpected(logger: Logger, receiver: string, err: TesseraError): void {
  if (err.code === 'INTERNAL') logger.error({ err: err.cause ?? err, receiver }, 'receiver failed on a request');
}
