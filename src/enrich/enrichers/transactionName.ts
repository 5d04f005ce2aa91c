// TransactionNameEnricher: a trace that starts with an API entry is named after that API.

import type { Enricher } from '../enricher.ts';
import { earliestSpan } from './errors.ts';

export const transactionNameEnricher: Enricher = {
  name: 'TransactionName',
  dependsOn: ['ApiEntity'],
  enrich({ trace }) {
    const first = earliestSpan(trace);
    if (first !== -1 && trace.enriched.spanType[first] === 'ENTRY') trace.summary.transactionName = trace.enriched.apiName[first];
  },
};
