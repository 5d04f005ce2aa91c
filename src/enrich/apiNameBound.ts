// Keeps the number of API names per service bounded. Templating collapses identifiers it can
// recognise; this guard catches what it cannot (free-text slugs, tenant names in paths) before a
// service grows thousands of APIs.
//
// While a service has fewer than `maxPerService` names, a name is admitted as is. Past that, a
// new name becomes the deepest wildcard already admitted for it (`GET /a/b/{*}`, then
// `GET /a/{*}`), else the one-segment wildcard `GET /a/{*}` while the service has fewer than
// 2 × maxPerService names, else `GET /{*}`. So a service never passes 2 × maxPerService names
// plus one per method. The state is per node and per process: after a restart, names admitted
// before are admitted again as they were, but an over-the-bound name may collapse differently.

export const WILDCARD = '{*}';

export interface ApiNameBoundOptions {
  maxPerService: number;
  /** How many services to track (least recently seen ones are forgotten). */
  maxServices?: number;
}

interface SplitName {
  /** "GET " or "". */
  prefix: string;
  /** "/" when the name's path is absolute, else "". */
  lead: string;
  segments: string[];
}

function splitName(name: string): SplitName {
  const space = name.indexOf(' ');
  const hasMethod = space > 0 && name.charCodeAt(space + 1) === 47 /* / */;
  const prefix = hasMethod ? name.slice(0, space + 1) : '';
  const rest = hasMethod ? name.slice(space + 1) : name;
  const lead = rest.startsWith('/') ? '/' : '';
  const segments = (lead === '' ? rest : rest.slice(1)).split('/');
  return { prefix, lead, segments };
}

/** The name with every segment from `depth` on replaced by one wildcard. */
export function wildcardAt(name: string, depth: number): string {
  const { prefix, lead, segments } = splitName(name);
  return prefix + lead + [...segments.slice(0, depth), WILDCARD].join('/');
}

/**
 * The names of each service. Found through tenant then service id (two lookups on strings the
 * caller already has, whose hashes V8 keeps) rather than a joined key, a new string hashed on
 * every lookup. Recency is a Map keyed by the name sets themselves, least recently seen first (a
 * Map keeps insertion order, so re-inserting on use is the recency update); the last service
 * asked for skips it.
 */
class ServiceNames {
  private readonly byTenant = new Map<string, Map<string, Set<string>>>();
  private readonly recency = new Map<Set<string>, { tenant: string; serviceId: string }>();
  private lastTenant = '';
  private lastService = '';
  private last: Set<string> | undefined;

  constructor(private readonly max: number) {}

  of(tenant: string, serviceId: string): Set<string> {
    if (serviceId === this.lastService && tenant === this.lastTenant && this.last !== undefined) return this.last;
    let services = this.byTenant.get(tenant);
    if (services === undefined) this.byTenant.set(tenant, (services = new Map()));
    let names = services.get(serviceId);
    if (names === undefined) {
      if (this.recency.size >= this.max) this.evictOldest();
      names = new Set();
      services.set(serviceId, names);
      this.recency.set(names, { tenant, serviceId });
    } else {
      const owner = this.recency.get(names)!;
      this.recency.delete(names);
      this.recency.set(names, owner);
    }
    this.lastTenant = tenant;
    this.lastService = serviceId;
    this.last = names;
    return names;
  }

  peek(tenant: string, serviceId: string): Set<string> | undefined {
    return this.byTenant.get(tenant)?.get(serviceId);
  }

  private evictOldest(): void {
    const [names, { tenant, serviceId }] = this.recency.entries().next().value!;
    this.recency.delete(names);
    const services = this.byTenant.get(tenant)!;
    services.delete(serviceId);
    if (services.size === 0) this.byTenant.delete(tenant);
    if (names === this.last) this.last = undefined;
  }
}

export class ApiNameBound {
  readonly maxPerService: number;
  private readonly services: ServiceNames;

  constructor(options: ApiNameBoundOptions) {
    if (!Number.isInteger(options.maxPerService) || options.maxPerService < 1) {
      throw new RangeError(`maxPerService must be a positive integer, got ${options.maxPerService}`);
    }
    this.maxPerService = options.maxPerService;
    this.services = new ServiceNames(options.maxServices ?? 10_000);
  }

  /** The name to use for `name` in this service: itself, or a wildcard once the service is full. */
  admit(tenant: string, serviceId: string, name: string): string {
    const names = this.services.of(tenant, serviceId);
    if (names.has(name)) return name;
    if (names.size < this.maxPerService) {
      names.add(name);
      return name;
    }
    const depth = splitName(name).segments.length;
    for (let d = depth - 1; d >= 0; d--) {
      const known = wildcardAt(name, d);
      if (names.has(known)) return known;
    }
    const collapsed = names.size < 2 * this.maxPerService && depth > 1 ? wildcardAt(name, 1) : wildcardAt(name, 0);
    names.add(collapsed);
    return collapsed;
  }

  /** How many names a service has now. */
  size(tenant: string, serviceId: string): number {
    return this.services.peek(tenant, serviceId)?.size ?? 0;
  }
}
