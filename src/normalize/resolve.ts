// Every first-class field of one span in one object, for display and debugging. Fields are
// getters resolved on each read, so building the view costs nothing until it is used.

import type { ErrorSpanLike } from './attrs.ts';
import { callSide } from './attrs.ts';
import type { DbBackend } from './db.ts';
import { dbDestination, dbName, dbOperation, dbStatement, dbSystem, dbUri, isSqlBackend } from './db.ts';
import { errorMessage, exceptionType, hasException, isError } from './errors.ts';
import {
  httpHost,
  httpMethod,
  httpPath,
  httpQueryString,
  httpRequestSize,
  httpResponseSize,
  httpRoute,
  httpScheme,
  httpStatusCode,
  httpUrl,
  userAgent,
} from './http.ts';
import type { MessagingBackend } from './messaging.ts';
import { messagingDestination, messagingOperation, messagingSystem, messagingUri } from './messaging.ts';
import type { BackendUri } from './peer.ts';
import { otelPeerUri, otPeerUri } from './peer.ts';
import type { Protocol } from './protocol.ts';
import { protocolOf } from './protocol.ts';
import {
  grpcEndpoint,
  grpcStatusCode,
  grpcStatusMessage,
  grpcUri,
  rpcMethod,
  rpcOperation,
  rpcService,
  rpcSystem,
} from './rpc.ts';

export class FirstClassFields {
  readonly #span: ErrorSpanLike;

  constructor(span: ErrorSpanLike) {
    this.#span = span;
  }

  get callSide(): string { return callSide(this.#span); }
  get protocol(): Protocol { return protocolOf(this.#span); }

  get httpMethod(): string { return httpMethod(this.#span); }
  get httpUrl(): string { return httpUrl(this.#span); }
  get httpScheme(): string { return httpScheme(this.#span); }
  get httpHost(): string { return httpHost(this.#span); }
  get httpPath(): string { return httpPath(this.#span); }
  get httpQueryString(): string { return httpQueryString(this.#span); }
  get httpRoute(): string { return httpRoute(this.#span); }
  get userAgent(): string { return userAgent(this.#span); }
  get httpRequestSize(): number | undefined { return httpRequestSize(this.#span); }
  get httpResponseSize(): number | undefined { return httpResponseSize(this.#span); }
  get httpStatusCode(): number { return httpStatusCode(this.#span); }

  get rpcSystem(): string { return rpcSystem(this.#span); }
  get grpcStatusCode(): number { return grpcStatusCode(this.#span); }
  get grpcStatusMessage(): string { return grpcStatusMessage(this.#span); }
  get grpcUri(): string { return grpcUri(this.#span); }
  get grpcEndpoint(): string { return grpcEndpoint(this.#span); }
  get rpcService(): string { return rpcService(this.#span); }
  get rpcMethod(): string { return rpcMethod(this.#span); }
  get rpcOperation(): string { return rpcOperation(this.#span); }

  get dbSystem(): string { return dbSystem(this.#span); }
  get dbStatement(): string { return dbStatement(this.#span); }
  get dbOperation(): string { return dbOperation(this.#span); }
  get dbName(): string { return dbName(this.#span); }
  get dbDestination(): string { return dbDestination(this.#span); }
  get isSqlBackend(): boolean { return isSqlBackend(this.#span); }
  get dbUri(): BackendUri<DbBackend> | undefined { return dbUri(this.#span); }

  get messagingSystem(): string { return messagingSystem(this.#span); }
  get messagingDestination(): string { return messagingDestination(this.#span); }
  get messagingOperation(): string { return messagingOperation(this.#span); }
  get messagingUri(): BackendUri<MessagingBackend> | undefined { return messagingUri(this.#span); }

  get otPeerUri(): string { return otPeerUri(this.#span); }
  get otelPeerUri(): string { return otelPeerUri(this.#span); }

  get isError(): boolean { return isError(this.#span); }
  get hasException(): boolean { return hasException(this.#span); }
  get errorMessage(): string { return errorMessage(this.#span); }
  get exceptionType(): string { return exceptionType(this.#span); }

  /** Every field resolved once, as a plain object (what JSON.stringify and loggers see). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of FIELD_NAMES) out[name] = this[name];
    return out;
  }
}

export type FirstClassFieldName = Exclude<keyof FirstClassFields, 'toJSON'>;

/** The field names of FirstClassFields, in display order. */
export const FIELD_NAMES: readonly FirstClassFieldName[] = Object.getOwnPropertyNames(FirstClassFields.prototype).filter(
  (name): name is FirstClassFieldName => name !== 'constructor' && name !== 'toJSON',
);

/** All first-class fields of a span, resolved lazily on read. */
export function resolveFirstClass(span: ErrorSpanLike): FirstClassFields {
  return new FirstClassFields(span);
}
