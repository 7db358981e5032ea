/**
 * The browser-facing events of docs/protocol.md §3: a discriminated union on `type`, each with
 * its `data`. The SSE `event:` name of a frame is its `type`.
 */

export type AgentState = 'starting' | 'busy' | 'idle' | 'retry' | 'exited' | 'failed';
export type ToolStatus = 'pending' | 'running' | 'completed' | 'error';

export interface StatusData {
  agentId: string;
  sessionId: string | null;
  state: AgentState;
  /** Names of the tool calls not yet finished (pending or running). */
  activeTools: string[];
}

interface TextBase {
  messageId: string;
  partId: string;
  role: 'user' | 'assistant';
}

/**
 * One update of a text or reasoning part: exactly one of `text` (the part's whole text so far:
 * replace) and `delta` (append to what the viewer has).
 */
export type TextData = TextBase & ({ text: string; delta?: never } | { delta: string; text?: never });

export interface ToolData {
  messageId: string;
  /** kilo's id of the tool part: orders the call among the parts of its message. */
  partId?: string;
  callId: string;
  tool: string;
  status: ToolStatus;
  title?: string;
  /** The call's arguments; when their JSON exceeds 64 KiB, that JSON cut to 64 KiB (a string). */
  input?: Record<string, unknown> | string;
  output?: string;
  error?: string;
  /** Set when `output`, `error` or `input` was cut to 64 KiB. */
  truncated?: true;
}

export interface FileData {
  path: string;
}

export interface MessageData {
  messageId: string;
  role: 'assistant';
  finish?: string;
  tokens?: { total?: number; input: number; output: number; reasoning: number; cache: { read: number; write: number } };
  cost?: number;
}

export interface ErrorData {
  name: string;
  message: string;
}

export interface GapData {
  /** The last id the viewer had (0 for none). */
  after: number;
  /** The oldest id still retained. */
  oldest: number;
}

/** `reset` carries nothing: the viewer clears its folded view, the whole retained state follows. */
export type ResetData = Record<string, never>;

export type ExitReason = 'stopped' | 'process_exit' | 'upstream_lost' | 'shutdown' | (string & {});

export interface ExitData {
  reason: ExitReason;
  code?: number | null;
}

export type AgentEvent =
  | { type: 'status'; data: StatusData }
  | { type: 'text'; data: TextData }
  | { type: 'reasoning'; data: TextData }
  | { type: 'tool'; data: ToolData }
  | { type: 'file'; data: FileData }
  | { type: 'message'; data: MessageData }
  | { type: 'error'; data: ErrorData }
  | { type: 'gap'; data: GapData }
  | { type: 'reset'; data: ResetData }
  | { type: 'exit'; data: ExitData };

export type AgentEventType = AgentEvent['type'];

/** An event as the ManagedAgent publishes it: with its per-agent id (1, 2, 3, …). */
export type SequencedAgentEvent = AgentEvent & { readonly seq: number };

/** Every event name, in protocol order. */
export const AGENT_EVENT_TYPES: readonly AgentEventType[] = Object.freeze([
  'status',
  'text',
  'reasoning',
  'tool',
  'file',
  'message',
  'error',
  'gap',
  'reset',
  'exit',
] as AgentEventType[]);

/** True when `name` is one of {@link AGENT_EVENT_TYPES}. */
export function isAgentEventType(name: string): name is AgentEventType {
  return (AGENT_EVENT_TYPES as readonly string[]).includes(name);
}
