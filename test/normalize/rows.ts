// Table helpers for the resolver tests: a span-like from an attribute map, and one assertion
// per row titled by the row, so a failing row names itself.

import type { Test } from 'tap';
import type { Attributes, SpanEvent, SpanKind } from '../../src/model/span.ts';
import type { ErrorSpanLike } from '../../src/normalize/index.ts';

export interface Row<T> {
  title: string;
  attrs: Attributes;
  want: T;
  name?: string;
  kind?: SpanKind;
  statusCode?: number;
  statusMessage?: string;
  events?: SpanEvent[];
}

export function spanOf(row: Omit<Row<unknown>, 'title' | 'want'>): ErrorSpanLike {
  const span: ErrorSpanLike = { attributes: row.attrs, name: row.name ?? 'op', kind: row.kind ?? 'UNSPECIFIED' };
  if (row.statusCode !== undefined) span.statusCode = row.statusCode;
  if (row.statusMessage !== undefined) span.statusMessage = row.statusMessage;
  if (row.events !== undefined) span.events = row.events;
  return span;
}

/** Asserts `resolve(span) === want` (deep for objects) for every row. */
export function checkRows<T>(t: Test, resolve: (span: ErrorSpanLike) => T, rows: readonly Row<T>[]): void {
  for (const row of rows) {
    const got = resolve(spanOf(row));
    if (typeof row.want === 'object' && row.want !== null) t.same(got, row.want, row.title);
    else t.equal(got, row.want, row.title);
  }
}
