import { BehaviorSubject, ReplaySubject, Subject, share, takeUntil, tap, type Observable } from 'rxjs';
import type { ActionData, ExitData, ExitReason, SequencedAgentEvent, StatusData } from '../protocol/agent-event';
import type { AgentActions, ManagedAgent } from '../agent/create-managed-agent';
import { createEventHistory } from '../agent/create-event-history';

/** What a replica cannot do itself: its agent's owner (the node holding the upstream) does it. */
export interface AgentOwnerChannel {
  record(action: ActionData): void;
  noteActor(requestId: string, by: string | undefined): void;
  stop(reason: ExitReason): void;
}

export interface ReplicaAgentOptions {
  agentId: string;
  /** The first id of the agent's lineage (its first owner's first id): an id below it came from an earlier agent. */
  firstId: number;
  /** The agent's events as its owner published them, ids included, in order (e.g. read from its Redis stream). */
  events: Observable<SequencedAgentEvent>;
  historySize?: number;
  historyBytes?: number;
  /** What a person may do (on kilo's routes, from any node); absent: watch only. */
  actions?: AgentActions;
  owner: AgentOwnerChannel;
}

/** A {@link ManagedAgent} fed by another node's stream, with `end()` to stop serving it here (no `exit` published). */
export interface ReplicaAgent extends ManagedAgent {
  /** Completes the stream on this node only (its viewers resume elsewhere); the agent goes on. */
  end(): void;
}

/**
 * Creates the replica of an agent whose upstream another node (or this one) consumes: the same
 * ids, the same retained state (rebuilt from the published events by the same history), the same
 * status and requests, so a viewer folds to the same view on any node. Prompts and answers go to
 * kilo from here (`actions`); who did what, notes and `stop` go to the owner.
 *
 * ## Example
 * ```ts
 * const agent = createReplicaAgent({ agentId: 'a1', firstId, events: readAgentStream({ redis, key }), owner });
 * broadcasts.of(agent).join(res);
 * ```
 */
export function createReplicaAgent(options: ReplicaAgentOptions): ReplicaAgent {
  if (!options || typeof options.agentId !== 'string' || options.agentId === '')
    throw new TypeError('createReplicaAgent: agentId must be a non-empty string');
  if (!Number.isSafeInteger(options.firstId) || options.firstId < 1)
    throw new RangeError(`createReplicaAgent: firstId must be a positive safe integer, got ${options.firstId}`);
  const { agentId, owner } = options;
  const history = createEventHistory({ historySize: options.historySize, historyBytes: options.historyBytes });
  let status: StatusData = { agentId, sessionId: null, state: 'starting', activeTools: [] };
  const status$ = new BehaviorSubject<StatusData>(status);
  const exitSubject = new ReplaySubject<ExitData>(1);
  const end$ = new Subject<void>();
  let exited: ExitData | null = null;
  /** The text so far of each streamed part (for the history's whole text); forgotten when the agent is idle. */
  const texts = new Map<string, string>();
  /** The requests asked, and whether each still waits for an answer; answered ones forgotten at the next busy. */
  const requests = new Map<string, { kind: 'permission' | 'question'; asked: boolean; at: number }>();

  const apply = (e: SequencedAgentEvent) => {
    switch (e.type) {
      case 'text':
      case 'reasoning': {
        // A delta of a part whose text is not known here (forgotten at idle) is appended by the
        // history to its own entry.
        const before = e.data.delta === undefined ? undefined : texts.get(e.data.partId);
        const whole = e.data.delta === undefined ? e.data.text : before === undefined ? undefined : before + e.data.delta;
        if (whole !== undefined) texts.set(e.data.partId, whole);
        history.push(e, e.data.delta === undefined ? undefined : whole);
        return;
      }
      case 'permission':
      case 'question':
        requests.set(e.data.requestId, {
          kind: e.type,
          asked: e.data.state === 'asked',
          at: requests.get(e.data.requestId)?.at ?? Date.now(),
        });
        break;
      case 'status':
        if (e.data.state === 'idle') texts.clear();
        if (e.data.state === 'busy' && status.state !== 'busy') for (const [id, r] of requests) if (!r.asked) requests.delete(id);
        status = e.data;
        status$.next(status);
        break;
      case 'exit':
        exited = e.data;
        exitSubject.next(e.data);
        exitSubject.complete();
        status$.complete();
        break;
    }
    history.push(e);
  };

  const events$ = options.events.pipe(
    takeUntil(end$),
    tap(apply),
    share({ connector: () => new Subject(), resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false }),
  );
  // The replica's own subscription keeps the state current with or without viewers.
  events$.subscribe({ error: () => undefined });

  return {
    id: agentId,
    firstId: options.firstId,
    actions: options.actions,
    pending: (requestId) => {
      const r = requests.get(requestId);
      return r?.asked ? r.kind : undefined;
    },
    known: (requestId) => requests.has(requestId),
    waiting() {
      let count = 0;
      let since: number | null = null;
      for (const r of requests.values()) {
        if (!r.asked) continue;
        count++;
        if (since === null || r.at < since) since = r.at;
      }
      return { count, since };
    },
    record(action) {
      if (exited) return;
      owner.record(action);
    },
    noteActor: (requestId, by) => owner.noteActor(requestId, by),
    get sessionId() {
      return status.sessionId;
    },
    events$,
    status$: status$.asObservable(),
    status: () => status,
    history,
    exit$: exitSubject.asObservable(),
    get exited() {
      return exited;
    },
    stop(reason: ExitReason = 'stopped') {
      if (!exited) owner.stop(reason);
    },
    end() {
      end$.next();
      end$.complete();
    },
  };
}
