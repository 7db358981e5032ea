import type { KiloEvent, KiloError, KiloToolPart } from '../kilo/kilo-event-types';
import { isTransientPart } from '../kilo/is-transient-part';
import { sessionIdOf } from '../kilo/session-id-of';
import type { AgentEvent, AgentState, ExitData, PermissionData, QuestionData, StatusData, ToolData } from '../protocol/agent-event';
import { MAX_TOOL_OUTPUT_BYTES, truncateUtf8 } from './truncate-output';
import { withoutStackTrace } from './without-stack-trace';

export interface AgentEventMapperOptions {
  agentId: string;
  /** The session to follow; when absent the first session seen is adopted. */
  sessionId?: string | null;
}

/** Turns kilo events into browser-facing {@link AgentEvent}s, keeping the state that needs. */
export interface AgentEventMapper {
  /** The agent events one kilo event stands for (often none). */
  map(event: KiloEvent): AgentEvent[];
  /** The `status` and `exit` events of the agent's end. */
  exit(exit: ExitData, failed: boolean): AgentEvent[];
  /** The current status snapshot. */
  status(): StatusData;
  /** The whole text so far of a text/reasoning part of the current turn (what a `delta` appended to). */
  partText(partId: string): string | undefined;
  /** Which kind of request `requestId` is while it waits for an answer; undefined once answered or unknown. */
  pending(requestId: string): 'permission' | 'question' | undefined;
  /** Whether `requestId` was ever asked (answered or not). */
  known(requestId: string): boolean;
  /** How many requests wait for an answer, and since when the oldest waits (epoch ms; `null` for none). */
  waiting(): { count: number; since: number | null };
  /** Records (or with `undefined` forgets) who answered `requestId` through agent-stream, for the `by` of its `replied` event. */
  noteActor(requestId: string, by: string | undefined): void;
}

const errorData = (e: KiloError | undefined) => ({
  name: e?.name ?? 'UnknownError',
  message: withoutStackTrace(String(e?.data?.message ?? (e as { message?: unknown } | undefined)?.message ?? e?.name ?? 'unknown error')),
});

/** A tool's `input`, or its JSON cut to 64 KiB when longer (docs/protocol.md §3). */
function boundedInput(input: Record<string, unknown>): { input: Record<string, unknown> | string; truncated: boolean } {
  const json = JSON.stringify(input);
  if (json.length * 3 <= MAX_TOOL_OUTPUT_BYTES) return { input, truncated: false };
  const cut = truncateUtf8(json);
  return cut.truncated ? { input: cut.text, truncated: true } : { input, truncated: false };
}

/**
 * Creates the stateful mapping from kilo serve events to agent events (docs/protocol.md §3):
 * a text/reasoning part's first event and kilo's full updates carry the whole `text`, live
 * token deltas carry only the `delta`; tool status transitions (deduplicated, output, error and
 * input bounded to 64 KiB), the active tools, message completion, one `error` per failure and
 * `status` on every state change. `session.idle` ends a turn: it sets state `idle`, never an exit.
 */
export function createAgentEventMapper(options: AgentEventMapperOptions): AgentEventMapper {
  const { agentId } = options;
  let sessionId: string | null = options.sessionId ?? null;
  let state: AgentState = 'starting';
  const roles = new Map<string, 'user' | 'assistant'>();
  const parts = new Map<string, { type: 'text' | 'reasoning'; messageId: string; text: string }>();
  /** Ids of kilo's transient parts of the current turn, whose updates and deltas are not mapped. */
  const transient = new Set<string>();
  const tools = new Map<string, { key: string; tool: string; active: boolean }>();
  const completed = new Set<string>();
  const turnErrors = new Set<string>();
  /** Requests asked and not answered yet, and all ever asked (bounded by the session's life). */
  /** When each request was asked (epoch ms), for the agent list's "waiting since". */
  const askedAt = new Map<string, number>();
  const requests = new Map<string, { kind: 'permission'; data: PermissionData } | { kind: 'question'; data: QuestionData }>();
  const actors = new Map<string, string>();

  const status = (): StatusData => ({
    agentId,
    sessionId,
    state,
    activeTools: [...tools.values()].filter((t) => t.active).map((t) => t.tool),
  });
  const setState = (next: AgentState): AgentEvent[] => {
    if (next === state) return [];
    const prev = state;
    state = next;
    if (next === 'busy') {
      turnErrors.clear();
      if (prev === 'idle') forgetFinished();
    }
    return [{ type: 'status', data: status() }];
  };
  const error = (e: KiloError | undefined): AgentEvent[] => {
    const data = errorData(e);
    const key = `${data.name}\u0000${data.message}`;
    if (turnErrors.has(key)) return [];
    turnErrors.add(key);
    return [{ type: 'error', data }];
  };

  // A new turn began: what earlier turns streamed needs no more state (long-running agents
  // stay bounded). Done at the next busy, not at idle: kilo may still update a message after idle.
  function forgetFinished() {
    parts.clear();
    transient.clear();
    completed.clear();
    for (const [id, t] of tools) if (!t.active) tools.delete(id);
    // Answered requests need no more state either (the history keeps what viewers see).
    for (const [id, r] of requests)
      if (r.data.state === 'replied') {
        requests.delete(id);
        actors.delete(id);
        askedAt.delete(id);
      }
  }

  function tool(part: KiloToolPart): AgentEvent[] {
    const s = part.state;
    const data: ToolData = { messageId: part.messageID, partId: part.id, callId: part.callID, tool: part.tool, status: s.status };
    if ('title' in s && s.title) data.title = s.title;
    if (s.input && Object.keys(s.input).length > 0) {
      const bounded = boundedInput(s.input);
      data.input = bounded.input;
      if (bounded.truncated) data.truncated = true;
    }
    if (s.status === 'completed') {
      const cut = truncateUtf8(String(s.output ?? ''));
      data.output = cut.text;
      if (cut.truncated) data.truncated = true;
    }
    if (s.status === 'error') {
      const cut = truncateUtf8(withoutStackTrace(String(s.error)));
      data.error = cut.text;
      if (cut.truncated) data.truncated = true;
    }
    const key = `${s.status}\u0000${data.title ?? ''}\u0000${data.input ? 1 : 0}`;
    const prev = tools.get(part.callID);
    if (prev?.key === key) return [];
    tools.set(part.callID, { key, tool: part.tool, active: s.status === 'pending' || s.status === 'running' });
    return [{ type: 'tool', data }];
  }

  function map(event: KiloEvent): AgentEvent[] {
    const sid = sessionIdOf(event);
    if (sid !== undefined) {
      if (sessionId === null && event.type !== 'unknown' && event.type !== 'sync') sessionId = sid;
      if (sid !== sessionId) return [];
    }
    switch (event.type) {
      case 'message.updated': {
        const info = event.properties.info;
        roles.set(info.id, info.role);
        if (info.role !== 'assistant') return [];
        const out: AgentEvent[] = info.error ? error(info.error) : [];
        if (info.time?.completed !== undefined && !completed.has(info.id)) {
          completed.add(info.id);
          out.push({
            type: 'message-info',
            data: {
              messageId: info.id,
              role: 'assistant',
              finish: info.finish,
              tokens: info.tokens,
              cost: info.cost,
              ...(typeof info.time.created === 'number' ? { time: { created: info.time.created, completed: info.time.completed } } : {}),
            },
          });
        }
        return out;
      }
      case 'message.part.updated': {
        const part = event.properties.part;
        if (part.type === 'tool') return tool(part);
        if (part.type !== 'text' && part.type !== 'reasoning') return [];
        // kilo's transient progress text (removed again by kilo): never shown, never kept.
        if (isTransientPart(part)) {
          transient.add(part.id);
          return [];
        }
        parts.set(part.id, { type: part.type, messageId: part.messageID, text: part.text ?? '' });
        const role = roles.get(part.messageID) ?? 'assistant';
        return [{ type: part.type, data: { messageId: part.messageID, partId: part.id, role, text: part.text ?? '' } }];
      }
      case 'message.part.delta': {
        const p = event.properties;
        const known = parts.get(p.partID);
        if (p.field !== 'text' || transient.has(p.partID)) return [];
        const role = roles.get(p.messageID) ?? 'assistant';
        if (!known) {
          // The part's first event: whole text (its `message.part.updated` was not seen).
          parts.set(p.partID, { type: 'text', messageId: p.messageID, text: p.delta });
          return [{ type: 'text', data: { messageId: p.messageID, partId: p.partID, role, text: p.delta } }];
        }
        known.text += p.delta;
        return [{ type: known.type, data: { messageId: p.messageID, partId: p.partID, role, delta: p.delta } }];
      }
      case 'message.part.removed':
        parts.delete(event.properties.partID);
        transient.delete(event.properties.partID);
        return [];
      case 'session.status': {
        const t = event.properties.status.type;
        return setState(t === 'idle' || t === 'retry' ? t : 'busy');
      }
      case 'session.idle':
        return setState('idle');
      case 'session.error':
        return error(event.properties.error);
      case 'server.connected':
        return state === 'starting' ? setState('idle') : [];
      case 'file.edited':
        return [{ type: 'file', data: { path: event.properties.file } }];
      case 'permission.asked': {
        const p = event.properties;
        if (requests.has(p.id)) return []; // seen already (a refill lists what is still pending)
        const callId = p.tool?.callID;
        const data: PermissionData = {
          requestId: p.id,
          title: p.patterns?.length ? `${p.permission}: ${p.patterns.join(', ')}` : p.permission,
          state: 'asked',
        };
        if (callId) {
          data.callId = callId;
          data.messageId = p.tool?.messageID;
          const t = tools.get(callId);
          if (t) data.tool = t.tool;
        }
        if (p.patterns?.length) data.patterns = p.patterns;
        requests.set(p.id, { kind: 'permission', data });
        askedAt.set(p.id, Date.now());
        return [{ type: 'permission', data }];
      }
      case 'permission.replied': {
        const r = requests.get(event.properties.requestID);
        if (!r || r.kind !== 'permission' || r.data.state === 'replied') return [];
        const by = actors.get(event.properties.requestID);
        r.data = { ...r.data, state: 'replied', response: event.properties.reply, ...(by ? { by } : {}) };
        return [{ type: 'permission', data: r.data }];
      }
      case 'question.asked': {
        const p = event.properties;
        if (requests.has(p.id)) return [];
        const data: QuestionData = {
          requestId: p.id,
          questions: p.questions.map((q) => ({
            question: String(q.question),
            header: String(q.header ?? ''),
            options: (q.options ?? []).map((o) => ({
              label: String(o.label),
              ...(o.description ? { description: String(o.description) } : {}),
            })),
            ...(q.multiple ? { multiple: true } : {}),
          })),
          state: 'asked',
        };
        if (p.tool?.callID) data.callId = p.tool.callID;
        requests.set(p.id, { kind: 'question', data });
        askedAt.set(p.id, Date.now());
        return [{ type: 'question', data }];
      }
      case 'question.replied':
      case 'question.rejected': {
        const r = requests.get(event.properties.requestID);
        if (!r || r.kind !== 'question' || r.data.state === 'replied') return [];
        const by = actors.get(event.properties.requestID);
        const outcome = event.type === 'question.replied' ? { answers: event.properties.answers } : { rejected: true as const };
        r.data = { ...r.data, state: 'replied', ...outcome, ...(by ? { by } : {}) };
        return [{ type: 'question', data: r.data }];
      }
      default:
        return [];
    }
  }

  function exit(data: ExitData, failed: boolean): AgentEvent[] {
    for (const t of tools.values()) t.active = false;
    state = failed ? 'failed' : 'exited';
    return [
      { type: 'status', data: status() },
      { type: 'exit', data },
    ];
  }

  return {
    map,
    exit,
    status,
    partText: (partId) => parts.get(partId)?.text,
    pending(requestId) {
      const r = requests.get(requestId);
      return r && r.data.state === 'asked' ? r.kind : undefined;
    },
    known: (requestId) => requests.has(requestId),
    waiting() {
      let count = 0;
      let since: number | null = null;
      for (const [id, r] of requests) {
        if (r.data.state !== 'asked') continue;
        count++;
        const at = askedAt.get(id) ?? null;
        if (at !== null && (since === null || at < since)) since = at;
      }
      return { count, since };
    },
    noteActor(requestId, by) {
      if (by === undefined) {
        actors.delete(requestId);
        return;
      }
      actors.set(requestId, by);
      if (actors.size > 10_000) actors.delete(actors.keys().next().value!);
    },
  };
}
