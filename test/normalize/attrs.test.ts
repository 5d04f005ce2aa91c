import t from 'tap';
import { callSide, firstOf, headerOf, intOf } from '../../src/normalize/index.ts';
import { checkRows } from './rows.ts';

t.test('the call side comes from the kind, then span_kind, span.kind, Client and the OpenCensus name', async (t) => {
  checkRows(t, callSide, [
    { title: 'CLIENT kind', kind: 'CLIENT', attrs: { 'span.kind': 'server' }, want: 'client' },
    { title: 'CONSUMER kind is the server side', kind: 'CONSUMER', attrs: {}, want: 'server' },
    { title: 'span_kind beats span.kind', attrs: { span_kind: 'server', 'span.kind': 'client' }, want: 'server' },
    { title: 'span.kind producer', attrs: { 'span.kind': 'PRODUCER' }, want: 'client' },
    { title: 'an unknown span.kind value is ignored', attrs: { 'span.kind': 'constructor', client: 'true' }, want: 'client' },
    { title: 'OpenCensus Client=false', attrs: { client: 'false' }, want: 'server' },
    { title: 'OpenCensus Sent. name', name: 'Sent.pkg.Svc.Do', attrs: {}, want: 'client' },
    { title: 'OpenCensus Recv. name', name: 'Recv.pkg.Svc.Do', attrs: {}, want: 'server' },
    { title: 'INTERNAL with nothing else', kind: 'INTERNAL', attrs: {}, want: '' },
  ]);
});

t.test('values are trimmed, blanks skipped, integers strict and header arrays joined', async (t) => {
  t.equal(firstOf({ a: ' \t', b: ' x ' }, ['a', 'b']), 'x', 'a blank first key is skipped and the value trimmed');
  t.equal(firstOf({ b: 'x' }, ['a', 'c']), '', 'no key gives an empty string');
  t.equal(intOf('42'), 42, 'a decimal integer');
  t.equal(intOf('4.2'), undefined, 'a decimal fraction is not an integer');
  t.equal(intOf('12abc'), undefined, 'trailing text is not an integer');
  t.equal(headerOf({ h: '["a","b"]' }, 'h'), 'a, b', 'a JSON string array is joined');
  t.equal(headerOf({ h: '[not json]' }, 'h'), '[not json]', 'a bracketed non-JSON value stays as it is');
  t.equal(headerOf({ h: '[1,2]' }, 'h'), '[1,2]', 'an array of numbers stays as it is');
});
