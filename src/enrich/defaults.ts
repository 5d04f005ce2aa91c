// The default enricher set (hypertrace-ingest §4 plus the API-trace graph) and its options,
// validated once at start-up.

import type { Logger } from 'pino';
import { TesseraError } from '../errors.ts';
import { ApiNameBound } from './apiNameBound.ts';
import type { Enricher } from './enricher.ts';
import type { EntityResolver } from './entity.ts';
import { createApiEntityEnricher } from './enrichers/apiEntity.ts';
import { apiBoundaryEnricher } from './enrichers/apiBoundary.ts';
import { apiStatusEnricher } from './enrichers/apiStatus.ts';
import { apiTraceEnricher } from './enrichers/apiTrace.ts';
import { createBackendEntityEnricher } from './enrichers/backendEntity.ts';
import { errorsEnricher } from './enrichers/errors.ts';
import { exitCallsEnricher } from './enrichers/exitCalls.ts';
import { grpcAttributesEnricher } from './enrichers/grpcAttributes.ts';
import { httpAttributesEnricher } from './enrichers/httpAttributes.ts';
import { serviceEntityEnricher } from './enrichers/serviceEntity.ts';
import { spanTypeEnricher } from './enrichers/spanType.ts';
import { traceStatsEnricher } from './enrichers/traceStats.ts';
import { transactionNameEnricher } from './enrichers/transactionName.ts';
import { createUserAgentEnricher } from './enrichers/userAgent.ts';
import { createEnrichmentPipeline } from './pipeline.ts';
import type { EnrichmentPipeline } from './pipeline.ts';
import { UserAgentParser } from './userAgentParser.ts';

export interface EnrichmentOptions {
  /** API names a service may have before new ones collapse into wildcards (default 200). */
  maxApisPerService?: number;
  /** Domains whose hosts never become backends (default none). */
  backendExcludedDomains?: readonly string[];
  /** Parsed user agents kept (default 20 000). */
  userAgentCacheSize?: number;
}

export interface CompiledEnrichmentOptions {
  maxApisPerService: number;
  backendExcludedDomains: readonly string[];
  userAgentCacheSize: number;
}

const positiveInt = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TesseraError('CONFIG', `enrichment option ${name} must be a positive integer, got ${value}`);
  return value;
};

export function compileEnrichmentOptions(options: EnrichmentOptions = {}): CompiledEnrichmentOptions {
  const domains = (options.backendExcludedDomains ?? []).map((d) => d.trim().toLowerCase().replace(/^\.+/, ''));
  const bad = domains.find((d) => d === '' || /\s|\//.test(d));
  if (bad !== undefined) throw new TesseraError('CONFIG', `enrichment option backendExcludedDomains holds an invalid domain "${bad}"`);
  return {
    maxApisPerService: positiveInt('maxApisPerService', options.maxApisPerService, 200),
    backendExcludedDomains: domains,
    userAgentCacheSize: positiveInt('userAgentCacheSize', options.userAgentCacheSize, 20_000),
  };
}

/** Every enricher, in a readable order; the pipeline sorts them by their dependencies. */
export function defaultEnrichers(options: CompiledEnrichmentOptions): Enricher[] {
  return [
    spanTypeEnricher,
    apiBoundaryEnricher,
    apiTraceEnricher,
    apiStatusEnricher,
    serviceEntityEnricher,
    createApiEntityEnricher(new ApiNameBound({ maxPerService: options.maxApisPerService })),
    errorsEnricher,
    createBackendEntityEnricher({ excludedDomains: options.backendExcludedDomains }),
    httpAttributesEnricher,
    createUserAgentEnricher(new UserAgentParser({ cacheSize: options.userAgentCacheSize })),
    exitCallsEnricher,
    traceStatsEnricher,
    transactionNameEnricher,
    grpcAttributesEnricher,
  ];
}

/** The pipeline a node runs: every default enricher over `resolver`. */
export function createDefaultEnrichment(deps: { resolver: EntityResolver; logger?: Logger; options?: EnrichmentOptions }): EnrichmentPipeline {
  const options = compileEnrichmentOptions(deps.options);
  return createEnrichmentPipeline({ enrichers: defaultEnrichers(options), resolver: deps.resolver, logger: deps.logger });
}
