// The in-memory EntityResolver: first-class, used by fast tests and by the embedded mode until an
// EntityStore holds entities. Answers synchronously, so enrichment over it never awaits.

import { entityFromRequest, entityId } from './entity.ts';
import type { Entity, EntityRequest, EntityResolver, EntityType } from './entity.ts';

export class MemoryEntityResolver implements EntityResolver {
  private readonly byId = new Map<string, Entity>();
  /** Requests whose identifying attributes were seen before, by a cheap key, to skip hashing. */
  private readonly idByKey = new Map<string, string>();
  private creates = 0;

  resolve(request: EntityRequest): Entity {
    const key = requestKey(request);
    let id = this.idByKey.get(key);
    if (id === undefined) {
      id = entityId(request.tenant, request.type, request.identifying);
      this.idByKey.set(key, id);
    }
    const known = this.byId.get(id);
    if (known === undefined) {
      const created = entityFromRequest(request, id);
      this.byId.set(id, created);
      this.creates++;
      return created;
    }
    mergeInto(known, request);
    return known;
  }

  find(tenant: string, id: string): Entity | undefined {
    const entity = this.byId.get(id);
    return entity !== undefined && entity.tenant === tenant ? entity : undefined;
  }

  /** Every entity of a type in a tenant, in creation order. */
  list(tenant: string, type: EntityType): Entity[] {
    const out: Entity[] = [];
    for (const e of this.byId.values()) if (e.tenant === tenant && e.type === type) out.push(e);
    return out;
  }

  /** How many entities were created (not found) so far. */
  get created(): number {
    return this.creates;
  }
}

/** Later attributes win, identifying ones never change, a new non-empty name replaces the old. */
function mergeInto(entity: Entity, request: EntityRequest): void {
  for (const k in request.attributes) {
    if (k in entity.identifying) continue;
    const v = request.attributes[k];
    if (entity.attributes[k] !== v) entity.attributes[k] = v;
  }
  if (request.name && request.name !== entity.name) entity.name = request.name;
}

/** Keys in insertion order (no sort): two orders of the same attributes map to the same id anyway. */
function requestKey(r: EntityRequest): string {
  let key = `${r.tenant}\u0000${r.type}`;
  for (const k in r.identifying) key += `\u0000${k}\u0001${r.identifying[k]}`;
  return key;
}
