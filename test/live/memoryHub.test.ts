// The in-process LiveHub runs the LiveHub conformance suite.
import t from 'tap';
import { pino } from 'pino';
import { createMemoryLiveHub } from '../../src/live/memoryHub.ts';
import { liveHubConformance } from './hub.conformance.ts';

liveHubConformance(t, 'in-process', async (t, opts) => {
  const hub = createMemoryLiveHub({ ...opts, logger: pino({ level: 'silent' }) });
  t.teardown(() => hub.close());
  return { publisher: hub, subscriber: hub, whenListening: async () => undefined };
});
