/**
 * The browser-facing events of SPEC §3: a discriminated union on `type`, each with its `data`.
 * The SSE `event:` name of a frame is its `type`.
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

export interface TextData {
  messageId: string;
  partId: string;
  role: 'user' | 'assistant';
  /** The whole text of the part so far. */
  text: string;
  /** What this update appended, when it came as a delta. */
  delta?: string;
}

export interface ToolData {
  messageId: string;
  callId: string;
  tool: string;
  status: ToolStatus;
  title?: string;
  input?: Record<string, unknown>;
  output?: string;
  error?: string;
  /** Set when `output` was cut to 64 KiB. */
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
  | { type: 'exit'; data: ExitData };

export type AgentEventType = AgentEvent['type'];

/** An event as the ManagedAgent publishes it: with its per-agent id (1, 2, 3, …). */
export type SequencedAgentEvent = AgentEvent & { readonly seq: number };

/** Every event name, in SPEC order. */
export const AGENT_EVENT_TYPES: readonly AgentEventType[] = Object.freeze([
  'status', 'text', 'reasoning', 'tool', 'file', 'message', 'error', 'gap', 'exit',
] as AgentEventType[]);

/** True when `name` is one of {@link AGENT_EVENT_TYPES}. */
export function isAgentEventType(name: string): name is AgentEventType {
  return (AGENT_EVENT_TYPES as readonly string[]).includes(name);
}
