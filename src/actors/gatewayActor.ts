// GatewayActor: owns GraphQL query execution. Operations run concurrently up to a bound; the
// ones past it wait in a bounded queue, and past that they are refused (RESOURCE_EXHAUSTED),
// so a burst of dashboards cannot pile unbounded work on the view store. The per-query timeout
// is the `ask` deadline of the caller (runOperation), answered as DEADLINE_EXCEEDED.
import type { Logger } from 'pino';
import { asTesseraError, TesseraError } from '../errors.ts';
import { ask, spawnActor, tell, type ActorRef, type ActorSystem } from './runtime.ts';

/** What the actor runs: one operation for one tenant, resolving to its answer (never throwing). */
export type OperationRunner<Op, Answer> = (op: Op, tenant: string) => Promise<Answer>;

export type OperationReply<Answer> = { type: 'OperationAnswered'; answer: Answer } | { type: 'OperationRefused'; error: TesseraError };

export type GatewayMsg<Op, Answer> =
  | { type: 'RunOperation'; op: Op; tenant: string; replyTo: ActorRef<OperationReply<Answer>> }
  | { type: 'OperationFinished' };

export interface GatewayActorDeps<Op, Answer> {
  run: OperationRunner<Op, Answer>;
  /** Operations running at once (default 8). */
  maxInFlight?: number;
  /** Operations waiting for a slot (default 256). */
  maxQueued?: number;
  logger: Logger;
}

interface Waiting<Op, Answer> {
  op: Op;
  tenant: string;
  replyTo: ActorRef<OperationReply<Answer>>;
}

interface State<Op, Answer> {
  inFlight: number;
  queue: Waiting<Op, Answer>[];
}

export function spawnGatewayActor<Op, Answer>(parent: ActorSystem, deps: GatewayActorDeps<Op, Answer>, name = 'gateway'): ActorRef<GatewayMsg<Op, Answer>> {
  const maxInFlight = deps.maxInFlight ?? 8;
  const maxQueued = deps.maxQueued ?? 256;

  const start = (self: ActorRef<GatewayMsg<Op, Answer>>, w: Waiting<Op, Answer>): void => {
    deps.run(w.op, w.tenant).then(
      (answer) => tell(w.replyTo, { type: 'OperationAnswered', answer }),
      (err: unknown) => tell(w.replyTo, { type: 'OperationRefused', error: asTesseraError(err) }),
    ).finally(() => tell(self, { type: 'OperationFinished' }));
  };

  return spawnActor<State<Op, Answer>, GatewayMsg<Op, Answer>>(parent, {
    name,
    initialState: { inFlight: 0, queue: [] },
    logger: deps.logger,
    // A crash here is a bug in the bookkeeping: start over with no queue (callers time out).
    onCrash: 'reset',
    handle: (state, msg, ctx) => {
      switch (msg.type) {
        case 'RunOperation': {
          const w = { op: msg.op, tenant: msg.tenant, replyTo: msg.replyTo };
          if (state.inFlight < maxInFlight) {
            start(ctx.self, w);
            return { ...state, inFlight: state.inFlight + 1 };
          }
          if (state.queue.length >= maxQueued) {
            tell(msg.replyTo, { type: 'OperationRefused', error: new TesseraError('RESOURCE_EXHAUSTED', `${maxInFlight} queries running and ${maxQueued} waiting: try again shortly`, { retryAfterSec: 1 }) });
            return state;
          }
          return { ...state, queue: [...state.queue, w] };
        }
        case 'OperationFinished': {
          const [next, ...rest] = state.queue;
          if (!next) return { ...state, inFlight: state.inFlight - 1 };
          start(ctx.self, next);
          return { ...state, queue: rest };
        }
      }
    },
  });
}

/**
 * Runs one operation through the actor with a deadline: resolves with its answer, or rejects
 * with DEADLINE_EXCEEDED past `timeoutMs` (RESOURCE_EXHAUSTED when the actor refuses it).
 */
export async function runOperation<Op, Answer>(ref: ActorRef<GatewayMsg<Op, Answer>>, op: Op, tenant: string, timeoutMs: number): Promise<Answer> {
  let reply: OperationReply<Answer>;
  try {
    reply = await ask<GatewayMsg<Op, Answer>, OperationReply<Answer>>(ref, (replyTo) => ({ type: 'RunOperation', op, tenant, replyTo }), timeoutMs);
  } catch {
    throw new TesseraError('DEADLINE_EXCEEDED', `the query ran past its ${timeoutMs} ms deadline`);
  }
  if (reply.type === 'OperationRefused') throw reply.error;
  return reply.answer;
}
