import type { KiloEvent, KiloError, KiloToolPart } from '../kilo/kilo-event';
import { sessionIdOf } from '../kilo/session-id-of';
import type { AgentEvent, AgentState, ExitData, StatusData, ToolData } from './agent-event';
import { truncateUtf8 } from './truncate-output';

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
}

const errorData = (e: KiloError | undefined) => ({
  name: e?.name ?? 'UnknownError',
  message: String(e?.data?.message ?? (e as { message?: unknown } | undefined)?.message ?? e?.name ?? 'unknown error'),
});

/**
 * Creates the stateful mapping from kilo serve events to agent events: whole text so far per
 * part, tool status transitions (deduplicated), the active tools, message completion, one
 * `error` per failure and `status` on every state change. `session.idle` ends a turn: it sets
 * state `idle`, it is never an exit.
 */
export function createAgentEventMapper(options: AgentEventMapperOptions): AgentEventMapper {
  const { agentId } = options;
  let sessionId: string | null = options.sessionId ?? null;
  let state: AgentState = 'starting';
  const roles = new Map<string, 'user' | 'assistant'>();
  const parts = new Map<string, { type: 'text' | 'reasoning'; messageId: string; text: string }>();
  const tools = new Map<string, { key: string; tool: string; active: boolean }>();
  const completed = new Set<string>();
  const turnErrors = new Set<string>();

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
    completed.clear();
    for (const [id, t] of tools) if (!t.active) tools.delete(id);
  }

  function tool(part: KiloToolPart): AgentEvent[] {
    const s = part.state;
    const data: ToolData = { messageId: part.messageID, callId: part.callID, tool: part.tool, status: s.status };
    if ('title' in s && s.title) data.title = s.title;
    if (s.input && Object.keys(s.input).length > 0) data.input = s.input;
    if (s.status === 'completed') {
      const cut = truncateUtf8(String(s.output ?? ''));
      data.output = cut.text;
      if (cut.truncated) data.truncated = true;
    }
    if (s.status === 'error') data.error = String(s.error);
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
            type: 'message',
            data: { messageId: info.id, role: 'assistant', finish: info.finish, tokens: info.tokens, cost: info.cost },
          });
        }
        return out;
      }
      case 'message.part.updated': {
        const part = event.properties.part;
        if (part.type === 'tool') return tool(part);
        if (part.type !== 'text' && part.type !== 'reasoning') return [];
        parts.set(part.id, { type: part.type, messageId: part.messageID, text: part.text ?? '' });
        const role = roles.get(part.messageID) ?? 'assistant';
        return [{ type: part.type, data: { messageId: part.messageID, partId: part.id, role, text: part.text ?? '' } }];
      }
      case 'message.part.delta': {
        const p = event.properties;
        const known = parts.get(p.partID);
        if (p.field !== 'text') return [];
        const entry = known ?? { type: 'text' as const, messageId: p.messageID, text: '' };
        entry.text += p.delta;
        parts.set(p.partID, entry);
        const role = roles.get(p.messageID) ?? 'assistant';
        return [{ type: entry.type, data: { messageId: p.messageID, partId: p.partID, role, text: entry.text, delta: p.delta } }];
      }
      case 'message.part.removed':
        parts.delete(event.properties.partID);
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
      default:
        return [];
    }
  }

  function exit(data: ExitData, failed: boolean): AgentEvent[] {
    for (const t of tools.values()) t.active = false;
    state = failed ? 'failed' : 'exited';
    return [{ type: 'status', data: status() }, { type: 'exit', data }];
  }

  return { map, exit, status };
}
