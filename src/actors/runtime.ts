// The only module that imports nact. Actors elsewhere speak in these names, so the actor
// library can change without touching them.
import nact from 'nact';
import type { Logger } from 'pino';

export type ActorRef<Msg> = nact.Ref<Msg>;
export type ActorSystem = nact.ActorSystemRef;
export type CrashDecision = 'resume' | 'reset' | 'stop' | 'escalate';

export interface ActorContext<Msg> {
  self: ActorRef<Msg>;
  name: string;
}

export interface ActorSpec<State, Msg> {
  name: string;
  initialState: State;
  handle: (state: State, msg: Msg, ctx: ActorContext<Msg>) => State | Promise<State>;
  /** What to do when `handle` throws; logged through pino before the decision applies. */
  onCrash: CrashDecision;
  logger: Logger;
}

export function startActorSystem(name: string): ActorSystem {
  return nact.start({ name } as unknown as string);
}

export function stopActorSystem(system: ActorSystem): void {
  nact.stop(system);
}

export function spawnActor<State, Msg>(parent: ActorSystem | ActorRef<unknown>, spec: ActorSpec<State, Msg>): ActorRef<Msg> {
  const handle = (state: State, msg: Msg, ctx: nact.ActorContext<Msg, nact.Ref<unknown>>) =>
    spec.handle(state, msg, { self: ctx.self, name: ctx.name });
  return nact.spawn(parent as nact.Ref<unknown>, handle, spec.name, {
    initialState: spec.initialState,
    onCrash: (msg, err, ctx) => {
      const type = (msg as { type?: unknown } | undefined)?.type;
      spec.logger.error({ err, actor: spec.name, message: type, decision: spec.onCrash }, 'actor crashed');
      return ctx[spec.onCrash];
    },
  }) as ActorRef<Msg>;
}

export function tell<Msg>(ref: ActorRef<Msg>, msg: Msg): void {
  nact.dispatch(ref, msg);
}

/** Request/response with a named timeout: the message gets a `replyTo` to answer on. */
export function ask<Msg, Res>(ref: ActorRef<Msg>, make: (replyTo: ActorRef<Res>) => Msg, timeoutMs: number): Promise<Res> {
  return nact.query(ref, make as nact.QueryMsgFactory<Msg, Res>, timeoutMs) as Promise<Res>;
}

export function stopActor(ref: ActorRef<unknown>): void {
  nact.stop(ref);
}
