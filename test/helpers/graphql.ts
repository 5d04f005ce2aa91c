// A plain GraphQL-over-HTTP client for tests, as a user's script would send it.
export interface GqlAnswer {
  data?: Record<string, any>;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function gql(url: string, query: string, { tenant }: { tenant?: string } = {}): Promise<GqlAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (tenant) headers['x-tenant-id'] = tenant;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return (await res.json()) as GqlAnswer;
}

/** Runs a query that must succeed and returns its data. */
export async function gqlData(url: string, query: string, opts: { tenant?: string } = {}): Promise<Record<string, any>> {
  const r = await gql(url, query, opts);
  if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

export const between = (fromMs: number, toMs: number): string =>
  `between: {startTime: "${new Date(fromMs).toISOString()}", endTime: "${new Date(toMs).toISOString()}"}`;

/** The spans of one trace, with the attributes the waterfall needs. */
export async function traceSpans(url: string, traceId: string, fromMs: number, toMs: number, opts: { tenant?: string } = {}) {
  const d = await gqlData(url, `{ spans(limit: 10000, ${between(fromMs, toMs)}, filterBy: [{operator: EQUALS, value: "${traceId}", type: ID, idScope: "TRACE"}]) {
    results { id parentSpanId: attribute(expression: {key: "parentSpanId"}) serviceName: attribute(expression: {key: "serviceName"})
      name: attribute(expression: {key: "displaySpanName"}) spanTags: attribute(expression: {key: "spanTags"}) } total } }`, opts);
  return d.spans as { results: { id: string; parentSpanId: string | null; serviceName: string; name: string; spanTags: Record<string, string> }[]; total: number };
}

/** The number of spans of a trace as rawTraceView has it, or undefined while it is not written. */
export async function traceSpanCount(url: string, traceId: string, fromMs: number, toMs: number, opts: { tenant?: string } = {}) {
  const d = await gqlData(url, `{ traces(type: TRACE, limit: 10, ${between(fromMs, toMs)}, filterBy: [{operator: EQUALS, value: "${traceId}", type: ID, idScope: "TRACE"}]) {
    results { id numSpans: attribute(expression: {key: "numSpans"}) } total } }`, opts);
  const t = d.traces as { results: { id: string; numSpans: number }[]; total: number };
  if (t.total > 1) throw new Error(`trace ${traceId} is split into ${t.total} traces`);
  return t.results[0]?.numSpans as number | undefined;
}
