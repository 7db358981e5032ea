import type { AgentState, MessageData, PermissionData, QuestionData, SequencedAgentEvent, StatusData } from '../protocol/agent-event';
import type { FoldedView } from '../protocol/fold-agent-events';
import { MESSAGE_INFO_TYPE } from '../protocol/stream-format';
import { aiSdkFinish, aiSdkReplay, aiSdkToolChunks, type ToolPhase } from './ai-sdk-replay';
import type { AiSdkChunk, AiSdkDataName } from './ai-sdk-types';
import { retainedMessages, type RetainedMessage } from './retained-messages';

export interface AiSdkEncoderOptions {
  /** The retained state now (the history folded): replays are made of it. */
  retained: () => FoldedView;
  /** The retained events, oldest first: which messages changed after a resumed viewer's id. */
  retainedEvents: () => Iterable<SequencedAgentEvent>;
}

/**
 * The AI SDK UI message stream encoding of one agent's events, shared by every such viewer of a
 * broadcast: one UI message per kilo assistant message, `start` … `finish`; a joiner gets
 * {@link AiSdkEncoder.opening} first.
 */
export interface AiSdkEncoder {
  /** The chunks one agent event stands for. */
  encode(event: SequencedAgentEvent): AiSdkChunk[];
  /**
   * What a viewer that joins now gets first: the status, then each retained assistant message
   * touched after `after` (all of them when undefined) replayed from its `start`, the message
   * still streaming last and left open.
   */
  opening(after?: number): AiSdkChunk[];
}

type Current = { messageId: string; open: Map<string, { kind: 'text' | 'reasoning'; sent: string }>; tools: Map<string, ToolPhase> };

const BUSY: ReadonlySet<AgentState> = new Set(['busy', 'retry']);
const CAP = 100_000;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > CAP) map.delete(map.keys().next().value!);
}

function currentOf(m: RetainedMessage, tools: Map<string, ToolPhase>): Current {
  const open = new Map<string, { kind: 'text' | 'reasoning'; sent: string }>();
  for (const i of m.items) if (i.kind !== 'tool') open.set(i.part.partId, { kind: i.kind, sent: i.part.text });
  return { messageId: m.messageId, open, tools };
}

/** The kilo message an event is about, when it names one. */
function messageOfEvent(e: SequencedAgentEvent, callMessage: ReadonlyMap<string, string>): string | undefined {
  switch (e.type) {
    case 'text':
    case 'reasoning':
      return e.data.role === 'assistant' ? e.data.messageId : undefined;
    case 'tool':
    case MESSAGE_INFO_TYPE:
      return e.data.messageId;
    case 'permission':
      return e.data.messageId ?? (e.data.callId ? callMessage.get(e.data.callId) : undefined);
    case 'question':
      return e.data.callId ? callMessage.get(e.data.callId) : undefined;
    default:
      return undefined;
  }
}

/**
 * Creates the AI SDK UI message stream encoder of one agent (docs/interop.md): text and reasoning
 * parts `text-*` / `reasoning-*` with the part id, tool calls as dynamic tools
 * (`tool-input-start` / `-available`, `tool-output-available` / `-error`), requests a
 * `data-permission` / `data-question` part (id = the request id) in the message they concern,
 * kilo's finish as `finishReason`; user prompts, status, files, actions and errors transient
 * `data-*` parts. A rewrite of a part's text (not an extension) rebuilds its message
 * (`reset-step` when the reader has it, else a replay from `start`).
 *
 * ## Example
 * ```ts
 * const encoder = createAiSdkEncoder({ retained: () => foldedHistory(), retainedEvents: () => history.since().events });
 * agent.events$.subscribe((e) => chunks.push(...encoder.encode(e)));
 * ```
 */
export function createAiSdkEncoder(options: AiSdkEncoderOptions): AiSdkEncoder {
  let status: StatusData | null = null;
  let current: Current | null = null;
  /** The message the readers have last: where a `reset-step` lands. */
  let lastStarted: string | undefined;
  const knownMessages = new Map<string, true>();
  const knownParts = new Map<string, true>();
  const callMessage = new Map<string, string>();
  const busy = () => status !== null && BUSY.has(status.state);

  // Start from the retained state (a broadcast that starts mid-turn): the last assistant message
  // is what readers have last, and still open while kilo is busy and has not finished it.
  {
    const view = options.retained();
    status = view.status;
    const all = retainedMessages(view).filter((m) => m.role === 'assistant');
    for (const m of all) {
      remember(knownMessages, m.messageId, true);
      for (const i of m.items) {
        if (i.kind === 'tool') remember(callMessage, i.tool.callId, m.messageId);
        else remember(knownParts, i.part.partId, true);
      }
    }
    const last = all[all.length - 1];
    if (last) {
      lastStarted = last.messageId;
      if (!last.info && busy()) current = currentOf(last, aiSdkReplay(last, { open: true }).tools);
    }
  }

  const transient = (name: AiSdkDataName, data: unknown, id?: string): AiSdkChunk => ({
    type: `data-${name}`,
    ...(id !== undefined ? { id } : {}),
    data,
    transient: true,
  });

  /** Replays `m` (from its `start`, or its body after `reset-step` when the readers have it) and makes it current if still open. */
  const rebuild = (m: RetainedMessage, out: AiSdkChunk[]) => {
    const open = !m.info && busy();
    if (lastStarted === m.messageId) out.push({ type: 'reset-step' });
    const { chunks, tools } = aiSdkReplay(m, { open, body: lastStarted === m.messageId });
    out.push(...chunks);
    lastStarted = m.messageId;
    current = open ? currentOf(m, tools) : null;
  };
  const find = (messageId: string) => retainedMessages(options.retained()).find((m) => m.messageId === messageId);

  const finishCurrent = (out: AiSdkChunk[], info?: MessageData) => {
    if (!current) return;
    for (const [id, o] of current.open) out.push({ type: o.kind === 'text' ? 'text-end' : 'reasoning-end', id });
    out.push({ type: 'finish-step' }, aiSdkFinish(info));
    current = null;
  };
  /** Makes `messageId` the current message; true when that replayed it (the event is in the replay). */
  const enter = (messageId: string, out: AiSdkChunk[]): boolean => {
    if (current?.messageId === messageId) return false;
    finishCurrent(out);
    const retained = knownMessages.has(messageId) ? find(messageId) : undefined;
    if (retained) {
      rebuild(retained, out);
      return true;
    }
    remember(knownMessages, messageId, true);
    out.push({ type: 'start', messageId }, { type: 'start-step' });
    lastStarted = messageId;
    current = { messageId, open: new Map(), tools: new Map() };
    return false;
  };

  function part(out: AiSdkChunk[], e: Extract<SequencedAgentEvent, { type: 'text' | 'reasoning' }>) {
    const { partId, messageId } = e.data;
    if (enter(messageId, out)) return;
    const cur = current!;
    const o = cur.open.get(partId);
    const rewrite = () => {
      const m = find(messageId);
      if (m) rebuild(m, out);
    };
    if (o) {
      const delta = e.data.delta ?? (e.data.text.startsWith(o.sent) ? e.data.text.slice(o.sent.length) : undefined);
      if (delta === undefined) return rewrite();
      o.sent += delta;
      if (delta !== '') out.push({ type: o.kind === 'text' ? 'text-delta' : 'reasoning-delta', id: partId, delta });
      return;
    }
    if (knownParts.has(partId) && e.data.delta === undefined) return rewrite();
    remember(knownParts, partId, true);
    const text = e.data.delta ?? e.data.text;
    out.push({ type: e.type === 'text' ? 'text-start' : 'reasoning-start', id: partId });
    if (text !== '') out.push({ type: e.type === 'text' ? 'text-delta' : 'reasoning-delta', id: partId, delta: text });
    cur.open.set(partId, { kind: e.type, sent: text });
  }

  function request(out: AiSdkChunk[], e: SequencedAgentEvent, r: PermissionData | QuestionData) {
    const name = e.type === 'question' ? 'question' : 'permission';
    const messageId = messageOfEvent(e, callMessage);
    if (messageId === undefined) return out.push(transient(name, r, r.requestId));
    if (enter(messageId, out)) return;
    out.push({ type: `data-${name}`, id: r.requestId, data: r });
  }

  return {
    encode(e) {
      const out: AiSdkChunk[] = [];
      switch (e.type) {
        case 'status':
          status = e.data;
          out.push(transient('status', e.data));
          if (!busy()) finishCurrent(out);
          break;
        case 'text':
        case 'reasoning':
          if (e.data.role === 'user') out.push(transient('prompt', e.data, e.data.partId));
          else part(out, e);
          break;
        case 'tool': {
          remember(callMessage, e.data.callId, e.data.messageId);
          if (enter(e.data.messageId, out)) break;
          const tools = current!.tools;
          tools.set(e.data.callId, aiSdkToolChunks(e.data, tools.get(e.data.callId) ?? 'none', out));
          break;
        }
        case 'permission':
        case 'question':
          request(out, e, e.data);
          break;
        case MESSAGE_INFO_TYPE: {
          const { messageId } = e.data;
          if (current?.messageId === messageId) finishCurrent(out, e.data);
          else if (!enter(messageId, out)) finishCurrent(out, e.data);
          break;
        }
        case 'file':
        case 'action':
        case 'error':
        case 'gap':
          out.push(transient(e.type, e.data));
          break;
        case 'exit':
          finishCurrent(out);
          out.push(transient('exit', e.data));
          break;
        case 'reset':
          break;
      }
      return out;
    },
    opening(after) {
      const out: AiSdkChunk[] = [transient('status', status)];
      const touched = new Set<string>();
      if (after !== undefined)
        for (const e of options.retainedEvents()) if (e.seq > after) touched.add(messageOfEvent(e, callMessage) ?? '');
      const all = retainedMessages(options.retained()).filter((m) => m.role === 'assistant');
      const last = all.find((m) => m.messageId === lastStarted);
      for (const m of all)
        if (m !== last && (after === undefined || touched.has(m.messageId))) out.push(...aiSdkReplay(m, { open: false }).chunks);
      if (last) out.push(...aiSdkReplay(last, { open: current !== null }).chunks);
      else if (current) {
        // The streaming message is no longer retained: open it anew with its open parts.
        out.push({ type: 'start', messageId: current.messageId }, { type: 'start-step' });
        for (const [id, o] of current.open) out.push({ type: o.kind === 'text' ? 'text-start' : 'reasoning-start', id });
      }
      return out;
    },
  };
}
