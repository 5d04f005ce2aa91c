// HttpAttributeEnricher: the resolved request path (`http.request.path`) and the query
// parameters (`http.request.query.param.<name>`, every value kept) of HTTP spans. Names and values
// are URL-decoded, a trailing "[]" is dropped from names, and pairs with an empty name or value
// are skipped.

import { httpPath, httpQueryString } from '../../normalize/index.ts';
import type { Enricher } from '../enricher.ts';

function decode(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** The parameters of a query string (without "?"); null when it has none. */
export function queryParams(query: string): Record<string, string[]> | null {
  if (query === '') return null;
  let params: Record<string, string[]> | null = null;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    let name = decode(pair.slice(0, eq));
    const value = decode(pair.slice(eq + 1));
    if (name.endsWith('[]')) name = name.slice(0, -2);
    if (name === '' || value === '') continue;
    params ??= Object.create(null) as Record<string, string[]>;
    (params[name] ??= []).push(value);
  }
  return params;
}

export const httpAttributesEnricher: Enricher = {
  name: 'HttpAttributes',
  dependsOn: ['SpanType'],
  enrich({ trace }) {
    const { protocol, httpPath: paths, queryParams: params } = trace.enriched;
    for (let i = 0; i < trace.spans.length; i++) {
      if (protocol[i] !== 'HTTP' && protocol[i] !== 'HTTPS') continue;
      const span = trace.spans[i];
      paths[i] = httpPath(span);
      params[i] = queryParams(httpQueryString(span));
    }
  },
};
