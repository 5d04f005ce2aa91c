import t from 'tap';
import { errorMessage, exceptionStacktrace, exceptionType, hasException, isError } from '../../src/normalize/index.ts';
import { checkRows } from './rows.ts';

const EXCEPTION_EVENT = {
  timeUs: 1,
  name: 'exception',
  attributes: { 'exception.type': 'java.io.IOException', 'exception.message': 'disk full', 'exception.stacktrace': 'at x' },
};

t.test('a span is an error by its status or an error tag', async (t) => {
  checkRows(t, isError, [
    { title: 'OpenTracing error=true', attrs: { error: 'true' }, want: true },
    { title: 'error=false', attrs: { error: 'false' }, want: false },
    { title: 'a Zipkin error tag holding a message', attrs: { error: 'connection refused' }, want: true },
    { title: 'status.code 2', attrs: { 'status.code': '2' }, want: true },
    { title: 'status.code 1 is not an error', attrs: { 'status.code': '1' }, want: false },
    { title: 'otel.status_code ERROR', attrs: { 'otel.status_code': 'ERROR' }, want: true },
    { title: 'the model status 2', attrs: {}, statusCode: 2, want: true },
    { title: 'the model status 1 and no tags', attrs: { 'http.status_code': '500' }, statusCode: 1, want: false },
  ]);
});

t.test('an exception is an exception attribute or an exception event', async (t) => {
  checkRows(t, hasException, [
    { title: 'exception.type', attrs: { 'exception.type': 'E' }, want: true },
    { title: 'exception.message', attrs: { 'exception.message': 'm' }, want: true },
    { title: 'exception.stacktrace', attrs: { 'exception.stacktrace': 's' }, want: true },
    { title: 'agent error_stacktrace', attrs: { error_stacktrace: 's' }, want: true },
    { title: 'an OTel exception event', attrs: {}, events: [EXCEPTION_EVENT], want: true },
    { title: 'an error alone is no exception', attrs: { error: 'true' }, events: [{ timeUs: 1, name: 'log', attributes: {} }], want: false },
    { title: 'a blank exception attribute', attrs: { 'exception.type': ' ' }, want: false },
  ]);
});

t.test('the error message and exception type read attributes, the exception event, then the status', async (t) => {
  checkRows(t, errorMessage, [
    { title: 'exception.message beats agent error_message', attrs: { 'exception.message': 'm1', error_message: 'm2' }, want: 'm1' },
    { title: 'agent error_message beats error.message', attrs: { error_message: 'm2', 'error.message': 'm3' }, want: 'm2' },
    { title: 'otel.status_description', attrs: { 'otel.status_description': 'deadline' }, want: 'deadline' },
    { title: 'the exception event message', attrs: {}, events: [EXCEPTION_EVENT], statusMessage: 'status', want: 'disk full' },
    { title: 'the model status message', attrs: { error: 'true' }, statusMessage: 'failed', want: 'failed' },
    { title: 'a Zipkin error tag message', attrs: { error: 'connection refused' }, want: 'connection refused' },
    { title: 'error=true carries no message', attrs: { error: 'true' }, want: '' },
  ]);
  checkRows(t, exceptionType, [
    { title: 'exception.type beats OpenTracing error.kind', attrs: { 'exception.type': 'T1', 'error.kind': 'T2' }, want: 'T1' },
    { title: 'error.kind beats OTel error.type', attrs: { 'error.kind': 'T2', 'error.type': '500' }, want: 'T2' },
    { title: 'OTel error.type', attrs: { 'error.type': 'timeout' }, want: 'timeout' },
    { title: 'the exception event type', attrs: {}, events: [EXCEPTION_EVENT], want: 'java.io.IOException' },
  ]);
  checkRows(t, exceptionStacktrace, [
    { title: 'exception.stacktrace beats error_stacktrace', attrs: { 'exception.stacktrace': 's1', error_stacktrace: 's2' }, want: 's1' },
    { title: 'the exception event stack trace', attrs: {}, events: [EXCEPTION_EVENT], want: 'at x' },
  ]);
});
