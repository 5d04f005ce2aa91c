// The SpanBatch source table: each batch's distinct (tenant, service, resource) triples.

import type { Attributes, Span } from '../../model/span.ts';
import type { Source } from './schema.ts';

/** The same own keys with the same values: what the sorted-entries content key compared. */
function sameContent(a: Attributes, b: Attributes): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || b[k] !== a[k]) return false;
  return true;
}

/**
 * The batch's distinct (tenant, service, resource content) triples. Receivers share one
 * resource object between the spans of a tracer's request, so sources are found by object
 * identity first; a new object is compared by content with the sources of the same tenant
 * and service (a batch has few sources, so this is cheaper than building a content key).
 */
export class SourceTable {
  readonly list: Source[] = [];
  private readonly byObject = new Map<Attributes, { tenant: string; serviceName: string; index: number }[]>();

  // The last span's source, kept as fields rather than an object made per change of source.
  private lastTenant = '';
  private lastService = '';
  private lastResource: Attributes | undefined;
  private lastIndex = -1;

  indexOf({ tenant, serviceName, resource }: Span): number {
    // Neighbouring spans mostly come from the same tracer: one comparison instead of a lookup.
    if (this.lastResource === resource && this.lastTenant === tenant && this.lastService === serviceName) return this.lastIndex;
    const index = this.find(tenant, serviceName, resource);
    this.lastTenant = tenant;
    this.lastService = serviceName;
    this.lastResource = resource;
    this.lastIndex = index;
    return index;
  }

  private find(tenant: string, serviceName: string, resource: Attributes): number {
    let known = this.byObject.get(resource);
    if (known === undefined) this.byObject.set(resource, (known = []));
    for (const k of known) if (k.tenant === tenant && k.serviceName === serviceName) return k.index;
    let index = -1;
    for (let i = 0; i < this.list.length; i++) {
      const s = this.list[i];
      if (s.tenant === tenant && s.serviceName === serviceName && sameContent(s.resource, resource)) {
        index = i;
        break;
      }
    }
    if (index === -1) index = this.list.push({ tenant, serviceName, resource }) - 1;
    known.push({ tenant, serviceName, index });
    return index;
  }
}
