// The in-memory EntityResolver: first-class, used by fast tests and by the embedded mode until an
// EntityStore holds entities. Answers synchronously, so enrichment over it never awaits.

import { entityFromRequest, entityId } from './entity.ts';
import type { Entity, EntityRequest, EntityResolver, EntityType } from './entity.ts';

export class MemoryEntityResolver implements EntityResolver {
  private readonly byId = new Map<string, Entity>();
  /** Ids of requests seen before, to skip hashing: see IdTrie. */
  private readonly ids = new IdTrie();
  private creates = 0;

  resolve(request: EntityRequest): Entity {
    const node = this.ids.nodeOf(request);
    let id = node.id;
    if (id === undefined) id = node.id = entityId(request.tenant, request.type, request.identifying);
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

interface IdNode {
  id: string | undefined;
  readonly next: Map<string, IdNode>;
}

const newNode = (): IdNode => ({ id: undefined, next: new Map() });

function step(node: IdNode, part: string): IdNode {
  let child = node.next.get(part);
  if (child === undefined) node.next.set(part, (child = newNode()));
  return child;
}

/**
 * Ids by tenant, type, then each identifying key and value in insertion order (no sort: two
 * orders of the same attributes map to the same id anyway). A path of Map lookups on strings
 * the spans and enrichers already hold, instead of one lookup on a key joined from them: the
 * joined key was a new string to flatten and hash on every request (~0.5 µs each).
 */
class IdTrie {
  private readonly root = newNode();

  nodeOf(r: EntityRequest): IdNode {
    let node = step(step(this.root, r.tenant), r.type);
    for (const k in r.identifying) node = step(step(node, k), r.identifying[k]);
    return node;
  }
}
