// Error and exception fields resolved when read (hypertrace-ingest §2.3). OTel records an
// exception as a span event named "exception", so the event list is read too when given.

import type { Attributes, SpanEvent } from '../model/span.ts';
import type { ErrorSpanLike, KeyList } from './attrs.ts';
import { firstOf, hasAny, valueOf } from './attrs.ts';

export const EXCEPTION_KEYS: KeyList = ['exception.type', 'exception.message', 'exception.stacktrace', 'error_stacktrace'];
export const ERROR_MESSAGE_KEYS: KeyList = [
  'exception.message',
  'error_message',
  'error.message',
  'rpc.error_message',
  'grpc.error_message',
  'otel.status_description',
];
export const EXCEPTION_TYPE_KEYS: KeyList = ['exception.type', 'error.kind', 'error.type'];
export const EXCEPTION_STACKTRACE_KEYS: KeyList = ['exception.stacktrace', 'error_stacktrace'];

/**
 * Whether the span failed: the model's status is error (2); or the `error` tag is present and
 * not "false" (OpenTracing "true", Zipkin's message); or `status.code` = 2; or
 * `otel.status_code` = ERROR.
 */
export function isError(span: ErrorSpanLike): boolean {
  if (span.statusCode === 2) return true;
  const attrs = span.attributes;
  const error = attrs['error'];
  if (error !== undefined && error.trim().toLowerCase() !== 'false') return true;
  if (valueOf(attrs, 'status.code') === '2') return true;
  return valueOf(attrs, 'otel.status_code').toUpperCase() === 'ERROR';
}

/** Whether an exception was recorded: an exception attribute, or an "exception" event. */
export function hasException(span: ErrorSpanLike): boolean {
  return hasAny(span.attributes, EXCEPTION_KEYS) || exceptionEvent(span) !== undefined;
}

/** The first span event that records an exception, if any. */
export function exceptionEvent(span: ErrorSpanLike): SpanEvent | undefined {
  const events = span.events;
  if (events === undefined) return undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (event.name === 'exception' || hasAny(event.attributes, EXCEPTION_KEYS)) return event;
  }
  return undefined;
}

function fromException(span: ErrorSpanLike, keys: KeyList): string {
  const event = exceptionEvent(span);
  return event === undefined ? '' : firstOf(event.attributes, keys);
}

/**
 * The error message: the message keys, else the exception event's message, else the model's
 * status message, else a Zipkin `error` tag that holds a message. '' if none.
 */
export function errorMessage(span: ErrorSpanLike): string {
  const attrs = span.attributes;
  const message = firstOf(attrs, ERROR_MESSAGE_KEYS) || fromException(span, ERROR_MESSAGE_KEYS);
  if (message !== '') return message;
  const status = span.statusMessage?.trim() ?? '';
  return status !== '' ? status : zipkinErrorMessage(attrs);
}

function zipkinErrorMessage(attrs: Attributes): string {
  const error = valueOf(attrs, 'error');
  const lower = error.toLowerCase();
  return lower === 'true' || lower === 'false' ? '' : error;
}

/** The exception or error type (`exception.type`, OpenTracing `error.kind`, OTel `error.type`). */
export function exceptionType(span: ErrorSpanLike): string {
  return firstOf(span.attributes, EXCEPTION_TYPE_KEYS) || fromException(span, EXCEPTION_TYPE_KEYS);
}

/** The stack trace of the recorded exception, or ''. */
export function exceptionStacktrace(span: ErrorSpanLike): string {
  return firstOf(span.attributes, EXCEPTION_STACKTRACE_KEYS) || fromException(span, EXCEPTION_STACKTRACE_KEYS);
}
