// One catalogue of coded errors. Tests assert codes, never message text.
// Mappers to HTTP status, gRPC status and GraphQL extensions.code live beside it.

export const ErrorCodes = {
  INVALID_ARGUMENT: { http: 400, grpc: 3, retryable: false },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 8, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 3, retryable: false },
  NOT_FOUND: { http: 404, grpc: 5, retryable: false },
  RESOURCE_EXHAUSTED: { http: 429, grpc: 8, retryable: true },
  UNAVAILABLE: { http: 503, grpc: 14, retryable: true },
  DEADLINE_EXCEEDED: { http: 504, grpc: 4, retryable: true },
  UNKNOWN_ATTRIBUTE: { http: 400, grpc: 3, retryable: false },
  /** An aggregation the attribute does not support (PERCENTILE of a string, SUM of a map entry). */
  UNSUPPORTED_AGGREGATION: { http: 400, grpc: 3, retryable: false },
  /** A time range that is not one: start not before end, or a bound that is not an instant. */
  BAD_TIME_RANGE: { http: 400, grpc: 3, retryable: false },
  BAD_QUERY: { http: 400, grpc: 3, retryable: false },
  LIMIT_TOO_LARGE: { http: 400, grpc: 3, retryable: false },
  INTERNAL: { http: 500, grpc: 13, retryable: false },
  CONFIG: { http: 500, grpc: 13, retryable: false },
  /** A write made under a partition lease that has since passed to another node (ADR 010). */
  FENCED: { http: 409, grpc: 10, retryable: false },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class TesseraError extends Error {
  readonly code: ErrorCode;
  /** Seconds a client should wait before retrying (retryable codes only). */
  readonly retryAfterSec?: number;

  constructor(code: ErrorCode, message: string, opts: { retryAfterSec?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TesseraError';
    this.code = code;
    if (opts.retryAfterSec !== undefined) this.retryAfterSec = opts.retryAfterSec;
  }

  get retryable(): boolean {
    return ErrorCodes[this.code].retryable;
  }
}

/** A write refused by a store's fence (ADR 010): the partitions whose lease a newer owner holds. */
export class FencedError extends TesseraError {
  readonly partitions: readonly number[];

  constructor(partitions: readonly number[]) {
    super('FENCED', `write refused: a newer lease has written for partition(s) ${partitions.join(', ')}`);
    this.partitions = partitions;
  }
}

export const invalid = (message: string): TesseraError => new TesseraError('INVALID_ARGUMENT', message);
export const unavailable = (message: string, retryAfterSec = 1): TesseraError =>
  new TesseraError('UNAVAILABLE', message, { retryAfterSec });
export const exhausted = (message: string, retryAfterSec = 1): TesseraError =>
  new TesseraError('RESOURCE_EXHAUSTED', message, { retryAfterSec });

export function asTesseraError(err: unknown): TesseraError {
  if (err instanceof TesseraError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TesseraError('INTERNAL', message, { cause: err });
}

export function httpStatusOf(err: TesseraError): number {
  return ErrorCodes[err.code].http;
}

export function grpcStatusOf(err: TesseraError): number {
  return ErrorCodes[err.code].grpc;
}

/** GraphQL `extensions` for a coded error. */
export function graphqlExtensionsOf(err: TesseraError): { code: ErrorCode } {
  return { code: err.code };
}
