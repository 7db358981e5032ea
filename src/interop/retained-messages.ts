import { createFoldedView, foldAgentEvent, type FoldedPart, type FoldedView } from '../protocol/fold-agent-events';
import type { AgentEvent, MessageData, PermissionData, QuestionData, ToolData } from '../protocol/agent-event';

/** One part of a retained message: a text or reasoning part, or a tool call. */
export type RetainedItem = { kind: 'text' | 'reasoning'; part: FoldedPart } | { kind: 'tool'; tool: ToolData };

/** A kilo message as the retained state has it: its parts in kilo's order, its requests, its info once finished. */
export interface RetainedMessage {
  messageId: string;
  role: 'user' | 'assistant';
  items: RetainedItem[];
  requests: Array<PermissionData | QuestionData>;
  info?: MessageData;
}

const keyOfItem = (i: RetainedItem): string => (i.kind === 'tool' ? (i.tool.partId ?? i.tool.callId) : i.part.partId);
const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The messages of a folded view in kilo's order (kilo's message and part ids sort by creation),
 * each with its parts, tool calls and the permission/question requests about its tool calls.
 * Requests that concern no known message are left out (they stay in `view.permissions` / `view.questions`).
 *
 * ## Example
 * ```ts
 * const view = createFoldedView();
 * for (const e of history.since().events) foldAgentEvent(view, e);
 * retainedMessages(view).map((m) => m.messageId);
 * ```
 */
export function retainedMessages(view: FoldedView): RetainedMessage[] {
  const messages = new Map<string, RetainedMessage>();
  const messageOf = (messageId: string, role: 'user' | 'assistant'): RetainedMessage => {
    let m = messages.get(messageId);
    if (!m) messages.set(messageId, (m = { messageId, role, items: [], requests: [] }));
    return m;
  };
  for (const part of Object.values(view.parts)) messageOf(part.messageId, part.role).items.push({ kind: part.type, part });
  const callMessage = new Map<string, string>();
  for (const tool of Object.values(view.tools)) {
    messageOf(tool.messageId, 'assistant').items.push({ kind: 'tool', tool });
    callMessage.set(tool.callId, tool.messageId);
  }
  for (const info of view.messages) messageOf(info.messageId, 'assistant').info = info;
  const requests: Array<PermissionData | QuestionData> = [...Object.values(view.permissions), ...Object.values(view.questions)];
  for (const r of requests) {
    const messageId = ('messageId' in r ? r.messageId : undefined) ?? (r.callId ? callMessage.get(r.callId) : undefined);
    const m = messageId !== undefined ? messages.get(messageId) : undefined;
    if (m) m.requests.push(r);
  }
  const out = [...messages.values()].sort((a, b) => byId(a.messageId, b.messageId));
  for (const m of out) {
    m.items.sort((a, b) => byId(keyOfItem(a), keyOfItem(b)));
    m.requests.sort((a, b) => byId(a.requestId, b.requestId));
  }
  return out;
}

/** A retained message's items and requests in one list. */
export type RetainedEntry = RetainedItem | { kind: 'request'; request: PermissionData | QuestionData };

/** kilo's ids are a prefix (`prt_`, `per_`, `que_`) and a part that ascends with creation time. */
const created = (id: string): string => id.slice(id.indexOf('_') + 1);

/**
 * A message's items and requests in the order they were created (kilo's part and request ids
 * ascend with time): a request comes after the parts created before it was asked and before the
 * later ones, where a viewer that watched live saw it.
 *
 * ## Example
 * ```ts
 * for (const entry of inCreationOrder(message)) if (entry.kind === 'request') show(entry.request);
 * ```
 */
export function inCreationOrder(m: RetainedMessage): RetainedEntry[] {
  const out: RetainedEntry[] = [];
  let r = 0;
  for (const item of m.items) {
    while (r < m.requests.length && created(m.requests[r]!.requestId) < created(keyOfItem(item)))
      out.push({ kind: 'request', request: m.requests[r++]! });
    out.push(item);
  }
  while (r < m.requests.length) out.push({ kind: 'request', request: m.requests[r++]! });
  return out;
}

/**
 * A tool call's arguments as JSON text (a cut input is already text; none: empty).
 *
 * ## Example
 * ```ts
 * toolArguments({ messageId: 'm', callId: 'c', tool: 'bash', status: 'running', input: { command: 'ls' } }); // '{"command":"ls"}'
 * ```
 */
export function toolArguments(tool: ToolData): string {
  if (tool.input === undefined) return '';
  return typeof tool.input === 'string' ? tool.input : JSON.stringify(tool.input);
}

/**
 * Folds retained events (e.g. `history.since().events`) into the view snapshots are made of.
 *
 * ## Example
 * ```ts
 * const view = foldRetained(agent.history.since().events);
 * ```
 */
export function foldRetained(events: Iterable<AgentEvent>): FoldedView {
  const view = createFoldedView();
  for (const e of events) foldAgentEvent(view, e);
  return view;
}
