import type { AgentState, PermissionData, QuestionData, SequencedAgentEvent, StatusData, ToolData } from '../protocol/agent-event';
import type { FoldedView } from '../protocol/fold-agent-events';
import { MESSAGE_INFO_TYPE } from '../protocol/stream-format';
import { agUiMessagesOf, agUiResultId, resultContent } from './ag-ui-messages';
import type { AgUiEvent, AgUiState } from './ag-ui-types';
import { retainedMessages, toolArguments } from './retained-messages';

export interface AgUiEncoderOptions {
  /** The thread id while kilo's session is not known yet. */
  agentId: string;
  /** The retained state now (the history folded): snapshots are made of it. */
  retained: () => FoldedView;
  /** The id of the newest event retained: the run id of a run opened by a joiner. */
  latestSeq: () => number;
}

/**
 * The AG-UI encoding of one agent's events, shared by every AG-UI viewer of a broadcast: it keeps
 * which run and which text, reasoning and tool-call messages are open, so that every viewer gets
 * the same events; a joiner gets {@link AgUiEncoder.opening} first, which brings it to that state.
 */
export interface AgUiEncoder {
  /** The AG-UI events one agent event stands for (often several, sometimes none). */
  encode(event: SequencedAgentEvent): AgUiEvent[];
  /** What a viewer that joins now gets first: RUN_STARTED, the snapshots, the open messages reopened, RUN_FINISHED when no run is open. */
  opening(): AgUiEvent[];
}

type Open = { kind: 'text' | 'reasoning'; messageId: string; sent: string };
type ToolPhase = 'started' | 'ended' | 'result';

const BUSY: ReadonlySet<AgentState> = new Set(['busy', 'retry']);
const KNOWN_CAP = 100_000;

/** Remembers at most KNOWN_CAP keys, forgetting the oldest. */
function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > KNOWN_CAP) map.delete(map.keys().next().value!);
}

/**
 * Creates the AG-UI encoder of one agent (docs/interop.md): a kilo turn is one run (`runId` =
 * `turn-<prompt message id>`) from the user prompt to idle; anything between turns comes in a short
 * run of its own; text and reasoning parts are messages with the part's id; tool calls
 * `TOOL_CALL_START`/`ARGS`/`END` under kilo's message id and `TOOL_CALL_RESULT` `result-<call id>`;
 * errors `RUN_ERROR`; status and pending requests `STATE_SNAPSHOT`; requests, files, actions and
 * message completion `CUSTOM`. Its state starts from `retained()` (a broadcast that starts mid-turn).
 *
 * ## Example
 * ```ts
 * const encoder = createAgUiEncoder({ agentId: 'a1', retained: () => foldedHistory(), latestSeq: () => history.latestSeq });
 * agent.events$.subscribe((e) => events.push(...encoder.encode(e)));
 * ```
 */
export function createAgUiEncoder(options: AgUiEncoderOptions): AgUiEncoder {
  let run: { id: string; turn: boolean } | null = null;
  let status: StatusData | null = null;
  const open = new Map<string, Open>();
  const tools = new Map<string, { phase: ToolPhase; name: string; messageId: string; args: boolean }>();
  /** Calls started and not ended: what a run's end or a joiner's opening visits. */
  const started = new Set<string>();
  const known = new Map<string, true>();
  const pending = new Map<string, PermissionData | QuestionData>();

  const threadId = () => status?.sessionId ?? options.agentId;
  const busy = () => status !== null && BUSY.has(status.state);
  const state = (): AgUiState => ({ status, pending: Object.fromEntries(pending) });

  // Start from the retained state: a turn in progress is an open run, with its unfinished parts open.
  {
    const view = options.retained();
    status = view.status;
    for (const r of [...Object.values(view.permissions), ...Object.values(view.questions)])
      if (r.state === 'asked') pending.set(r.requestId, r);
    const messages = retainedMessages(view);
    if (busy()) {
      const prompt = messages.filter((m) => m.role === 'user').pop();
      run = { id: prompt ? `turn-${prompt.messageId}` : `run-${options.latestSeq()}`, turn: true };
    }
    for (const m of messages)
      for (const item of m.items) {
        if (item.kind === 'tool') {
          const t = item.tool;
          const phase: ToolPhase =
            t.status === 'completed' || t.status === 'error' ? 'result' : t.input !== undefined || !run ? 'ended' : 'started';
          bounded(tools, t.callId, { phase, name: t.tool, messageId: t.messageId, args: t.input !== undefined });
          if (phase === 'started') started.add(t.callId);
          continue;
        }
        bounded(known, item.part.partId, true);
        if (run && m.role === 'assistant' && !m.info)
          open.set(item.part.partId, { kind: item.kind, messageId: m.messageId, sent: item.part.text });
      }
  }

  const startRun = (out: AgUiEvent[], id: string, turn: boolean) => {
    if (run) return;
    run = { id, turn };
    out.push({ type: 'RUN_STARTED', threadId: threadId(), runId: id });
  };
  const endOpen = (out: AgUiEvent[], messageId?: string) => {
    for (const [id, o] of open) {
      if (messageId !== undefined && o.messageId !== messageId) continue;
      out.push(o.kind === 'text' ? { type: 'TEXT_MESSAGE_END', messageId: id } : { type: 'REASONING_MESSAGE_END', messageId: id });
      open.delete(id);
    }
    if (messageId !== undefined) return;
    for (const id of started) {
      out.push({ type: 'TOOL_CALL_END', toolCallId: id });
      const t = tools.get(id);
      if (t) t.phase = 'ended';
    }
    started.clear();
  };
  const finishRun = (out: AgUiEvent[]) => {
    if (!run) return;
    endOpen(out);
    out.push({ type: 'RUN_FINISHED', threadId: threadId(), runId: run.id });
    run = null;
  };
  const snapshot = (out: AgUiEvent[]) => {
    const view = options.retained();
    out.push({ type: 'MESSAGES_SNAPSHOT', messages: agUiMessagesOf(view) });
    for (const [id, o] of open) o.sent = view.parts[id]?.text ?? o.sent;
  };
  const content = (kind: 'text' | 'reasoning', messageId: string, delta: string): AgUiEvent =>
    kind === 'text' ? { type: 'TEXT_MESSAGE_CONTENT', messageId, delta } : { type: 'REASONING_MESSAGE_CONTENT', messageId, delta };

  function part(out: AgUiEvent[], e: Extract<SequencedAgentEvent, { type: 'text' | 'reasoning' }>) {
    const { partId, messageId, role } = e.data;
    const o = open.get(partId);
    if (o) {
      const delta = e.data.delta ?? (e.data.text.startsWith(o.sent) ? e.data.text.slice(o.sent.length) : undefined);
      if (delta === undefined) return snapshot(out); // a rewrite, not an extension
      o.sent += delta;
      if (delta !== '') out.push(content(o.kind, partId, delta));
      return;
    }
    const reopened = known.has(partId);
    if (reopened && e.data.delta === undefined) return snapshot(out); // a finished part rewritten
    bounded(known, partId, true);
    const text = e.data.delta ?? e.data.text;
    if (e.type === 'text') out.push({ type: 'TEXT_MESSAGE_START', messageId: partId, role });
    else out.push({ type: 'REASONING_MESSAGE_START', messageId: partId, role: 'reasoning' });
    if (text !== '') out.push(content(e.type, partId, text));
    if (role === 'user') out.push({ type: 'TEXT_MESSAGE_END', messageId: partId });
    // A finished part reopened by a delta: what the viewers have is its whole retained text.
    else open.set(partId, { kind: e.type, messageId, sent: reopened ? (options.retained().parts[partId]?.text ?? text) : text });
  }

  function tool(out: AgUiEvent[], t: ToolData) {
    let known = tools.get(t.callId);
    if (!known) {
      bounded(tools, t.callId, (known = { phase: 'started', name: t.tool, messageId: t.messageId, args: false }));
      started.add(t.callId);
      out.push({ type: 'TOOL_CALL_START', toolCallId: t.callId, toolCallName: t.tool, parentMessageId: t.messageId });
    }
    const finished = t.status === 'completed' || t.status === 'error';
    if (known.phase !== 'started' && !known.args && t.input !== undefined) {
      // Ended without its arguments (its run ended first): reopened to add them.
      out.push({ type: 'TOOL_CALL_START', toolCallId: t.callId, toolCallName: t.tool, parentMessageId: t.messageId });
      known.phase = known.phase === 'result' ? 'result' : 'started';
      if (known.phase === 'result') {
        out.push(
          { type: 'TOOL_CALL_ARGS', toolCallId: t.callId, delta: toolArguments(t) },
          { type: 'TOOL_CALL_END', toolCallId: t.callId },
        );
        known.args = true;
      } else started.add(t.callId);
    }
    if (known.phase === 'started' && (t.input !== undefined || finished)) {
      const args = toolArguments(t);
      if (args !== '') out.push({ type: 'TOOL_CALL_ARGS', toolCallId: t.callId, delta: args });
      known.args = args !== '';
      out.push({ type: 'TOOL_CALL_END', toolCallId: t.callId });
      known.phase = 'ended';
      started.delete(t.callId);
    }
    if (known.phase === 'ended' && finished) {
      out.push({
        type: 'TOOL_CALL_RESULT',
        messageId: agUiResultId(t.callId),
        toolCallId: t.callId,
        content: resultContent(t),
        role: 'tool',
      });
      known.phase = 'result';
    }
  }

  function request(out: AgUiEvent[], type: 'permission' | 'question', r: PermissionData | QuestionData) {
    out.push({ type: 'CUSTOM', name: `${type}.${r.state}`, value: r });
    if (r.state === 'asked') pending.set(r.requestId, r);
    else pending.delete(r.requestId);
    out.push({ type: 'STATE_SNAPSHOT', snapshot: state() });
  }

  return {
    encode(e) {
      const out: AgUiEvent[] = [];
      const userPrompt = e.type === 'text' && e.data.role === 'user' && !known.has(e.data.partId);
      if (e.type === 'status') status = e.data;
      if (userPrompt && run && !run.turn) finishRun(out);
      startRun(out, userPrompt ? `turn-${e.data.messageId}` : `run-${e.seq}`, userPrompt || busy());
      if (busy()) run!.turn = true;
      switch (e.type) {
        case 'status':
          out.push({ type: 'STATE_SNAPSHOT', snapshot: state() });
          if (!busy()) finishRun(out);
          break;
        case 'text':
        case 'reasoning':
          part(out, e);
          break;
        case 'tool':
          tool(out, e.data);
          break;
        case 'permission':
        case 'question':
          request(out, e.type, e.data);
          break;
        case MESSAGE_INFO_TYPE:
          endOpen(out, e.data.messageId);
          out.push({ type: 'CUSTOM', name: 'message.finished', value: e.data });
          break;
        case 'file':
          out.push({ type: 'CUSTOM', name: 'file.edited', value: e.data });
          break;
        case 'action':
          out.push({ type: 'CUSTOM', name: 'action', value: e.data });
          break;
        case 'error':
          endOpen(out);
          out.push({ type: 'RUN_ERROR', message: e.data.message, code: e.data.name });
          run = null;
          break;
        case 'gap':
          out.push({ type: 'CUSTOM', name: 'gap', value: e.data });
          break;
        case 'reset':
          snapshot(out);
          break;
        case 'exit':
          out.push({ type: 'CUSTOM', name: 'agent.exit', value: e.data });
          finishRun(out);
          break;
      }
      if (run && !run.turn) finishRun(out);
      return out;
    },
    opening() {
      const out: AgUiEvent[] = [{ type: 'RUN_STARTED', threadId: threadId(), runId: run?.id ?? `run-${options.latestSeq()}` }];
      out.push({ type: 'MESSAGES_SNAPSHOT', messages: agUiMessagesOf(options.retained()) });
      out.push({ type: 'STATE_SNAPSHOT', snapshot: state() });
      for (const [id, o] of open)
        out.push(
          o.kind === 'text'
            ? { type: 'TEXT_MESSAGE_START', messageId: id, role: 'assistant' }
            : { type: 'REASONING_MESSAGE_START', messageId: id, role: 'reasoning' },
        );
      for (const id of started) {
        const t = tools.get(id)!;
        out.push({ type: 'TOOL_CALL_START', toolCallId: id, toolCallName: t.name, parentMessageId: t.messageId });
      }
      if (!run) out.push({ type: 'RUN_FINISHED', threadId: threadId(), runId: (out[0] as { runId: string }).runId });
      return out;
    },
  };
}
