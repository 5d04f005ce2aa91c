// Enrichment: what the process role calls on every assembled trace, and what the view writer
// reads back (docs/enrichment.md).

export type {
  ApiBoundary,
  ApiNameSource,
  ApiNode,
  ApiNodeEdge,
  ApiStatus,
  BackendProtocol,
  EnrichedTrace,
  Protocol,
  SpanBackend,
  SpanColumns,
  SpanType,
  TraceSummary,
  UserAgentInfo,
} from './types.ts';
export type { Entity, EntityRequest, EntityResolver, EntityType } from './entity.ts';
export { ENTITY_ID_NAMESPACE, EntityKeys, entityFromRequest, entityId, serviceEntityId } from './entity.ts';
export { MemoryEntityResolver } from './memoryResolver.ts';
export type { Enricher, EnrichmentContext, MaybePromise } from './enricher.ts';
export type { EnrichmentPipeline, EnrichmentPipelineDeps, EnrichmentStats } from './pipeline.ts';
export { createEnrichmentPipeline, dependencyOrder, emptyEnrichment } from './pipeline.ts';
export type { CompiledEnrichmentOptions, EnrichmentOptions } from './defaults.ts';
export { compileEnrichmentOptions, createDefaultEnrichment, defaultEnrichers } from './defaults.ts';
export type { ApiNameCandidate } from './apiName.ts';
export { apiNameOf, isIdentifierSegment, templateOperationName, templatePath } from './apiName.ts';
export { ApiNameBound, WILDCARD } from './apiNameBound.ts';
export { UNKNOWN_BACKEND, UNKNOWN_SERVICE } from './enrichers/exitCalls.ts';
