import type { MessageData, ToolData } from '../protocol/agent-event';
import type { AiSdkChunk, AiSdkFinishReason } from './ai-sdk-types';
import { inCreationOrder, type RetainedMessage } from './retained-messages';

const REASONS: ReadonlySet<string> = new Set(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'interrupted', 'other']);

/**
 * ai's `finishReason` for kilo's `finish`: the same name when ai has it (`stop`, `length`,
 * `tool-calls`, `content-filter`, `error`), `other` for any other (e.g. `unknown`), none when kilo gave none.
 *
 * ## Example
 * ```ts
 * aiSdkFinishReason('tool-calls'); // 'tool-calls'
 * aiSdkFinishReason('unknown'); // 'other'
 * ```
 */
export function aiSdkFinishReason(finish: string | undefined): AiSdkFinishReason | undefined {
  if (finish === undefined) return undefined;
  return REASONS.has(finish) ? (finish as AiSdkFinishReason) : 'other';
}

/**
 * The `finish` chunk of a kilo message (its info, when kilo finished it): `finishReason` and the
 * info as `messageMetadata`.
 *
 * ## Example
 * ```ts
 * aiSdkFinish({ messageId: 'msg_1', role: 'assistant', finish: 'stop', cost: 0 });
 * // { type: 'finish', finishReason: 'stop', messageMetadata: { finish: 'stop', cost: 0 } }
 * ```
 */
export function aiSdkFinish(info: MessageData | undefined): AiSdkChunk {
  if (!info) return { type: 'finish' };
  const reason = aiSdkFinishReason(info.finish);
  const { messageId: _id, role: _role, ...metadata } = info;
  return { type: 'finish', ...(reason ? { finishReason: reason } : {}), messageMetadata: metadata };
}

/**
 * Appends to `out` the chunks of one tool call's state, from `from` (what was sent) on; returns
 * the new phase.
 *
 * ## Example
 * ```ts
 * const out: AiSdkChunk[] = [];
 * aiSdkToolChunks({ messageId: 'm', callId: 'c', tool: 'bash', status: 'completed', input: {}, output: 'ok' }, 'none', out); // 'done'
 * // out: tool-input-available, tool-output-available
 * ```
 */
export function aiSdkToolChunks(t: ToolData, from: ToolPhase, out: AiSdkChunk[]): ToolPhase {
  const title = t.title !== undefined ? { title: t.title } : {};
  const finished = t.status === 'completed' || t.status === 'error';
  let phase = from;
  if (phase === 'none' && t.input === undefined && !finished) {
    out.push({ type: 'tool-input-start', toolCallId: t.callId, toolName: t.tool, dynamic: true, ...title });
    return 'started';
  }
  if ((phase === 'none' || phase === 'started') && (t.input !== undefined || finished)) {
    out.push({ type: 'tool-input-available', toolCallId: t.callId, toolName: t.tool, input: t.input ?? {}, dynamic: true, ...title });
    phase = 'input';
  }
  if (phase === 'input' && finished) {
    out.push(
      t.status === 'completed'
        ? { type: 'tool-output-available', toolCallId: t.callId, output: t.output ?? '', dynamic: true }
        : { type: 'tool-output-error', toolCallId: t.callId, errorText: t.error ?? '', dynamic: true },
    );
    phase = 'done';
  }
  return phase;
}

/** How far a tool call's chunks have gone. */
export type ToolPhase = 'none' | 'started' | 'input' | 'done';

/**
 * The chunks that rebuild one kilo message from its `start` (or, with `body`, only its content,
 * after a `reset-step`): its parts, tool calls and requests (a `data-permission` /
 * `data-question` part with the request id) in the order kilo created them, as a live viewer saw
 * them (`inCreationOrder`), and `finish` unless `open` (the
 * message is still streaming: its text and reasoning parts are left open).
 *
 * ## Example
 * ```ts
 * for (const m of retainedMessages(view)) chunks.push(...aiSdkReplay(m, { open: false }));
 * ```
 */
export function aiSdkReplay(
  m: RetainedMessage,
  options: { open: boolean; body?: boolean },
): { chunks: AiSdkChunk[]; tools: Map<string, ToolPhase> } {
  const out: AiSdkChunk[] = options.body ? [] : [{ type: 'start', messageId: m.messageId }];
  out.push({ type: 'start-step' });
  const tools = new Map<string, ToolPhase>();
  for (const item of inCreationOrder(m)) {
    if (item.kind === 'request') {
      const r = item.request;
      out.push({ type: 'questions' in r ? 'data-question' : 'data-permission', id: r.requestId, data: r });
      continue;
    }
    if (item.kind === 'tool') {
      tools.set(item.tool.callId, aiSdkToolChunks(item.tool, 'none', out));
      continue;
    }
    const { partId: id, text } = item.part;
    if (item.kind === 'text') {
      out.push({ type: 'text-start', id });
      if (text !== '') out.push({ type: 'text-delta', id, delta: text });
      if (!options.open) out.push({ type: 'text-end', id });
    } else {
      out.push({ type: 'reasoning-start', id });
      if (text !== '') out.push({ type: 'reasoning-delta', id, delta: text });
      if (!options.open) out.push({ type: 'reasoning-end', id });
    }
  }
  if (!options.open) out.push({ type: 'finish-step' }, aiSdkFinish(m.info));
  return { chunks: out, tools };
}
