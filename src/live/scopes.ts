// What a live subscription reads: the catalog scope of each subscription field, the rows of a
// written trace that belong to it, and the columns those rows need (the live projection: the
// Redis hub sends only these). Scopes come from the gateway's attribute catalog, so a scope
// the catalog serves is served live with the same keys, implicit filters and validation.
import { viewNamed } from '../views/schema.ts';
import type { AttributeCatalog } from '../gateway/catalog.ts';

/** `liveTraces(type:)` values, plus the scope of `liveSpans`. */
export const LIVE_TRACE_TYPES = ['TRACE', 'API_TRACE', 'BACKEND_TRACE'] as const;
export const LIVE_SCOPES: readonly string[] = [...LIVE_TRACE_TYPES, 'SPAN'];

/** Scopes of LIVE_SCOPES this catalog serves. */
export function servedLiveScopes(cat: AttributeCatalog): string[] {
  return LIVE_SCOPES.filter((s) => {
    try {
      cat.scope(s);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The columns, by view, that live subscriptions can read: every attribute of a served live
 * scope whose value lives in the scope's view, and the trace id. Binary columns (the span
 * batch) are never part of it.
 */
export function liveProjection(cat: AttributeCatalog): Map<string, string[]> {
  const byView = new Map<string, Set<string>>();
  const add = (view: string, column: string) => {
    const def = viewNamed(view)?.columns.find((c) => c.name === column);
    if (!def || def.type === 'bytes') return;
    let set = byView.get(view);
    if (!set) byView.set(view, (set = new Set()));
    set.add(column);
  };
  const scopes = servedLiveScopes(cat);
  for (const scope of scopes) {
    const view = cat.scope(scope).view;
    const def = viewNamed(view);
    if (def) add(view, def.traceColumn);
  }
  // Implicit scope filters name attributes of their scope, so they are covered here too.
  for (const a of cat.list()) {
    if (a.source && scopes.includes(a.scope) && a.source.view === cat.scope(a.scope).view) add(a.source.view, a.source.column);
  }
  return new Map([...byView].map(([view, set]) => [view, [...set]]));
}
