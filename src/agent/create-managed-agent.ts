import {
  BehaviorSubject,
  EMPTY,
  NEVER,
  Observable,
  ReplaySubject,
  Subject,
  catchError,
  concat,
  defer,
  finalize,
  from,
  map,
  merge,
  share,
  take,
  takeUntil,
  tap,
} from 'rxjs';
import type { KiloEvent } from '../kilo/kilo-event-types';
import type { ActionData, AgentEvent, ExitData, ExitReason, SequencedAgentEvent, StatusData } from '../protocol/agent-event';

/** What a person can do to an agent through agent-stream (docs/protocol.md §7), e.g. on kilo's routes. */
export interface AgentActions {
  prompt(text: string): Promise<void>;
  abort(): Promise<void>;
  replyPermission(requestId: string, response: 'once' | 'always' | 'reject'): Promise<void>;
  replyQuestion(requestId: string, answers: string[][]): Promise<void>;
  rejectQuestion(requestId: string): Promise<void>;
}
import { createAgentEventMapper } from './create-agent-event-mapper';
import { createEventHistory, type EventHistory } from './create-event-history';

export interface ManagedAgentOptions {
  /** The id viewers use in URLs. */
  agentId: string;
  /** The kilo session this agent is; when absent, the first session seen is adopted. */
  sessionId?: string | null;
  /** The upstream kilo events (e.g. `kiloEvents(url)`); subscribed once, at creation. */
  events: Observable<KiloEvent>;
  /** Emits when the agent's process ends (e.g. `{reason: 'process_exit', code}`). */
  exit$?: Observable<ExitData>;
  /** Retained history entries at most (docs/protocol.md §3). Default 10 000. */
  historySize?: number;
  /** Retained history bytes (encoded frames) at most. Default 8 MiB. */
  historyBytes?: number;
  /**
   * The first id this agent gives out (then +1 per event). Default `Date.now() * 1000`: the ids
   * of a later instance (a restarted server) are above every id an earlier one gave out, as long
   * as it gave out fewer than 1000 per millisecond of its life (docs/protocol.md §3).
   */
  firstId?: number;
  /** What a person may do to the agent (prompt, abort, answer kilo's requests); absent: watch only. */
  actions?: AgentActions;
  /** Called once by `stop()` before the agent exits, e.g. to kill its process. */
  onStop?: (reason: ExitReason) => void;
  /** What the agent reports besides its events: a kilo event the mapper could not handle (skipped). */
  onDiagnostic?: (d: ManagedAgentDiagnostic) => void;
}

/** What a ManagedAgent can report (`onDiagnostic`); an upstream failure is not one: it ends the agent (`exit`). */
export type ManagedAgentDiagnostic = { type: 'map_failed'; error: unknown; event: KiloEvent };

/** The `error` of an exit: a message and, when the error has one, its code. */
function errorOf(err: unknown): NonNullable<ExitData['error']> {
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? { message, code: e.code } : { message };
}

/** One agent: a shared hot stream of its events, its status and its retained history. */
export interface ManagedAgent {
  readonly id: string;
  readonly sessionId: string | null;
  /** The first id this instance of the agent gives out: an id below it came from an earlier one. */
  readonly firstId: number;
  /** What a person may do to the agent; absent when it can only be watched. */
  readonly actions?: AgentActions;
  /** Which kind of request `requestId` is while it waits for an answer. */
  pending(requestId: string): 'permission' | 'question' | undefined;
  /** Whether `requestId` was ever asked. */
  known(requestId: string): boolean;
  /** How many permission requests and questions wait for an answer, and since when the oldest waits (epoch ms). */
  waiting(): { count: number; since: number | null };
  /** Publishes an `action` event (who did what) to every viewer, and notes who answered a request. */
  record(action: ActionData): void;
  /** Notes (or, with `undefined`, forgets) who is answering `requestId`, for the `by` of its `replied` event. */
  noteActor(requestId: string, by: string | undefined): void;
  /**
   * ONE shared hot stream of sequenced agent events. Upstream is subscribed once, when the
   * agent is created; subscribers see what happens after they subscribe (history holds the
   * rest); every subscriber completes after the `exit` event.
   */
  readonly events$: Observable<SequencedAgentEvent>;
  /** The current status, then every change. */
  readonly status$: Observable<StatusData>;
  status(): StatusData;
  readonly history: Omit<EventHistory, 'push'>;
  /** Emits the exit (and replays it to late subscribers), then completes. */
  readonly exit$: Observable<ExitData>;
  readonly exited: ExitData | null;
  /** Ends the agent with `reason` (default `stopped`); does nothing once it has exited. */
  stop(reason?: ExitReason): void;
}

const isFailure = (e: ExitData) => e.reason === 'upstream_lost' || (e.reason === 'process_exit' && e.code !== 0);

/**
 * Creates a ManagedAgent over an upstream of kilo events.
 *
 * ## Example
 * ```ts
 * const agent = createManagedAgent({ agentId: 'a1', events: kiloEvents('http://127.0.0.1:4096') });
 * agent.events$.pipe(ofType('tool')).subscribe((e) => print(e.data.tool, e.data.status));
 * ```
 */
export function createManagedAgent(options: ManagedAgentOptions): ManagedAgent {
  if (!options || typeof options.agentId !== 'string' || options.agentId === '') {
    throw new TypeError('createManagedAgent: agentId must be a non-empty string');
  }
  if (!options.events || typeof options.events.subscribe !== 'function') {
    throw new TypeError('createManagedAgent: events must be an Observable of kilo events');
  }
  const mapper = createAgentEventMapper({ agentId: options.agentId, sessionId: options.sessionId });
  const history = createEventHistory({ historySize: options.historySize, historyBytes: options.historyBytes });
  const status$ = new BehaviorSubject<StatusData>(mapper.status());
  const exitSubject = new ReplaySubject<ExitData>(1);
  const stop$ = new Subject<ExitData>();
  let exited: ExitData | null = null;
  let ending: ExitData | null = null;
  const firstId = options.firstId ?? Date.now() * 1000;
  if (!Number.isSafeInteger(firstId) || firstId < 1)
    throw new RangeError(`createManagedAgent: firstId must be a positive safe integer, got ${firstId}`);
  let seq = firstId - 1;

  const exitSignal$ = merge(stop$, options.exit$ ?? NEVER).pipe(
    take(1),
    tap((e) => (ending = e)),
  );

  const mapOne = (event: KiloEvent): AgentEvent[] => {
    try {
      return mapper.map(event);
    } catch (err) {
      options.onDiagnostic?.({ type: 'map_failed', error: err, event });
      return [];
    }
  };

  const stamp = (event: AgentEvent): SequencedAgentEvent => {
    const sequenced = { ...event, seq: ++seq } as SequencedAgentEvent;
    const delta = (event.type === 'text' || event.type === 'reasoning') && event.data.delta !== undefined;
    history.push(sequenced, delta ? mapper.partText(event.data.partId) : undefined);
    if (event.type === 'status') status$.next(event.data);
    if (event.type === 'exit') {
      exited = event.data;
      exitSubject.next(event.data);
      exitSubject.complete();
      status$.complete();
    }
    return sequenced;
  };

  // Actions taken through agent-stream join the stream in the same order as kilo's events.
  const actions$ = new Subject<AgentEvent>();
  const events$ = concat(
    merge(
      // Each kilo event maps to 0..n agent events, emitted in place: no inner subscription per event.
      new Observable<AgentEvent>((subscriber) =>
        options.events.subscribe({
          next: (event) => {
            for (const out of mapOne(event)) subscriber.next(out);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      ).pipe(finalize(() => actions$.complete())),
      actions$,
    ).pipe(
      takeUntil(exitSignal$),
      catchError((err: unknown) => {
        // The upstream gave up: the agent ends, and says why on its exit (where viewers and logs look).
        ending = { reason: 'upstream_lost', error: errorOf(err) };
        return EMPTY;
      }),
    ),
    defer(() => {
      const data = ending ?? { reason: 'upstream_lost' };
      return from(mapper.exit(data, isFailure(data)));
    }),
  ).pipe(map(stamp), share({ connector: () => new Subject(), resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false }));

  // The agent's own subscription: upstream is consumed (and history kept) with or without viewers.
  events$.subscribe();

  return {
    id: options.agentId,
    firstId,
    actions: options.actions,
    pending: (requestId) => mapper.pending(requestId),
    known: (requestId) => mapper.known(requestId),
    waiting: () => mapper.waiting(),
    noteActor: (requestId, by) => mapper.noteActor(requestId, by),
    record(action) {
      if (exited || ending) return;
      if (action.requestId) mapper.noteActor(action.requestId, action.by);
      actions$.next({ type: 'action', data: action });
    },
    get sessionId() {
      return mapper.status().sessionId;
    },
    events$,
    status$: status$.asObservable(),
    status: () => mapper.status(),
    history,
    exit$: exitSubject.asObservable(),
    get exited() {
      return exited;
    },
    stop(reason: ExitReason = 'stopped') {
      if (exited || ending) return;
      options.onStop?.(reason);
      stop$.next({ reason });
    },
  };
}
