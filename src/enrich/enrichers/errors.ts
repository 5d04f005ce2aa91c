// ErrorsAndExceptionsEnricher: error_count and exception_count per span, the erroring spans of
// each API node (API_TRACE_ERROR_SPAN_COUNT), and the trace's error totals.

import { hasException, isError } from '../../normalize/index.ts';
import type { Enricher } from '../enricher.ts';
import type { EnrichedTrace } from '../types.ts';

/** The span that starts first (the first in breadth-first order among equals); -1 when empty. */
export function earliestSpan(trace: EnrichedTrace): number {
  let best = -1;
  for (let i = 0; i < trace.spans.length; i++) {
    if (best === -1 || trace.spans[i].startUs < trace.spans[best].startUs) best = i;
  }
  return best;
}

export const errorsEnricher: Enricher = {
  name: 'ErrorsAndExceptions',
  dependsOn: ['ApiStatus', 'ApiTrace'],
  enrich({ trace }) {
    const { errorCount, exceptionCount, apiStatus, spanType } = trace.enriched;
    let errors = 0;
    let exceptions = 0;
    for (let i = 0; i < trace.spans.length; i++) {
      const span = trace.spans[i];
      const exception = hasException(span);
      if (exception) {
        exceptionCount[i] = 1;
        exceptions++;
      }
      if (exception || apiStatus[i] === 'FAIL' || isError(span)) {
        errorCount[i] = 1;
        errors++;
      }
    }
    for (const node of trace.apiNodes) {
      let count = 0;
      for (const i of node.spans) count += errorCount[i];
      node.errorSpanCount = count;
    }
    trace.summary.spanCountWithErrors = errors;
    trace.summary.spanCountWithExceptions = exceptions;
    const first = earliestSpan(trace);
    trace.summary.transactionHasError = first !== -1 && spanType[first] === 'ENTRY' && errorCount[first] > 0;
  },
};
