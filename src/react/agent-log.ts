import type { ExitData, StatusData, ToolStatus } from '../agent/agent-event';
import type { ClientAgentEvent } from '../client/client-options';

interface RowBase {
  /** Stable React key: per part for text, per call for tools, else per event. */
  key: string;
  /** Where the row sorts: kilo's order of messages and parts (their ids sort by time). */
  order: string;
  /** The id of the last event applied to this row (absent for `gap`). */
  seq?: number;
}

/** One line of the rendered log. */
export type LogRow =
  | (RowBase & { kind: 'text'; reasoning: boolean; role: 'user' | 'assistant'; messageId: string; partId: string; text: string })
  | (RowBase & {
      kind: 'tool';
      messageId: string;
      callId: string;
      tool: string;
      status: ToolStatus;
      title?: string;
      input?: Record<string, unknown> | string;
      output?: string;
      error?: string;
      truncated?: true;
    })
  | (RowBase & { kind: 'file'; path: string })
  | (RowBase & {
      kind: 'message';
      messageId: string;
      finish?: string;
      tokens?: { total?: number; input: number; output: number };
      cost?: number;
    })
  | (RowBase & { kind: 'error'; name: string; message: string })
  | (RowBase & { kind: 'gap'; after: number; oldest: number })
  | (RowBase & { kind: 'exit'; reason: string; code?: number | null });

/** Everything the log view shows, derived from the events received so far. */
export interface AgentLogState {
  /** Sorted by `order`. */
  rows: LogRow[];
  /** The latest `status` data, `null` before the first. */
  status: StatusData | null;
  /** The `exit` data once the agent exited. */
  exit: ExitData | null;
  /** Ids of the events received, in order (the last `maxTrackedSeqs`). */
  receivedSeqs: number[];
  /** How many events were received (with or without id). */
  receivedCount: number;
  lastSeq: number | null;
  /** Counter for keys of rows without a natural one. */
  serial: number;
  /** The greatest message id seen: rows without a part (file, error, gap) sort after its parts. */
  anchor: string;
}

/** Limits of {@link reduceAgentLog}. */
export interface AgentLogLimits {
  /** Rows kept (oldest dropped first). Default 500. */
  maxRows?: number;
  /** Received ids kept in `receivedSeqs`. Default 10000. */
  maxTrackedSeqs?: number;
}

/** The empty log. */
export function createAgentLogState(): AgentLogState {
  return { rows: [], status: null, exit: null, receivedSeqs: [], receivedCount: 0, lastSeq: null, serial: 0, anchor: '' };
}

const partOrder = (messageId: string, partId: string) => `${messageId}\u0001${partId}`;

function findRow(rows: LogRow[], key: string): LogRow | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.key === key) return rows[i];
  return undefined;
}

/** Puts `row` in place of the row with the same key, else inserts it at its order. */
function upsert(rows: LogRow[], row: LogRow): void {
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i]!.key === row.key) {
      rows[i] = row;
      return;
    }
  }
  let at = rows.length;
  while (at > 0 && rows[at - 1]!.order > row.order) at--;
  rows.splice(at, 0, row);
}

function apply(s: AgentLogState, event: ClientAgentEvent, maxTracked: number): void {
  const seq = event.seq;
  s.receivedCount++;
  if (seq !== undefined) {
    s.receivedSeqs.push(seq);
    if (s.receivedSeqs.length > maxTracked) s.receivedSeqs.splice(0, s.receivedSeqs.length - maxTracked);
    s.lastSeq = seq;
  }
  const own = (kind: string) => {
    const serial = s.serial++;
    return { key: `${kind}:${seq ?? `n${serial}`}`, order: `${s.anchor}\u0002${String(serial).padStart(9, '0')}`, seq };
  };
  switch (event.type) {
    case 'status':
      s.status = event.data;
      return;
    case 'text':
    case 'reasoning': {
      const d = event.data;
      const key = `${event.type}:${d.partId}`;
      const old = findRow(s.rows, key);
      const before = old?.kind === 'text' ? old.text : '';
      const text = d.delta !== undefined ? before + d.delta : d.text;
      if (d.messageId > s.anchor) s.anchor = d.messageId;
      upsert(s.rows, {
        kind: 'text',
        key,
        order: partOrder(d.messageId, d.partId),
        seq,
        reasoning: event.type === 'reasoning',
        role: d.role,
        messageId: d.messageId,
        partId: d.partId,
        text,
      });
      return;
    }
    case 'tool': {
      const { partId, ...d } = event.data;
      if (d.messageId > s.anchor) s.anchor = d.messageId;
      upsert(s.rows, { kind: 'tool', key: `tool:${d.callId}`, order: partOrder(d.messageId, partId ?? d.callId), seq, ...d });
      return;
    }
    case 'file':
      upsert(s.rows, { kind: 'file', ...own('file'), path: event.data.path });
      return;
    case 'message': {
      const { messageId, finish, tokens, cost } = event.data;
      if (messageId > s.anchor) s.anchor = messageId;
      upsert(s.rows, { kind: 'message', ...own('message'), order: `${messageId}\u0003`, messageId, finish, tokens, cost });
      return;
    }
    case 'error':
      upsert(s.rows, { kind: 'error', ...own('error'), ...event.data });
      return;
    case 'gap':
      upsert(s.rows, { kind: 'gap', ...own('gap'), ...event.data });
      return;
    case 'reset':
      s.rows = [];
      s.exit = null;
      s.anchor = '';
      return;
    case 'exit':
      s.exit = event.data;
      upsert(s.rows, { kind: 'exit', ...own('exit'), order: '\uffff', reason: event.data.reason, code: event.data.code });
      return;
  }
}

/**
 * Applies events to the log by the protocol's folding rule: text and reasoning replaced
 * (`text`) or appended (`delta`) per part, one row per tool call (its latest state), one row per
 * file edit, message end, error, gap and exit; `reset` clears the rows. Rows stay in kilo's
 * order (message, then part ids, which sort by time), whatever order the states arrive in.
 * Pure: returns a new state; a batch of events costs one copy of the rows.
 *
 * ## Example
 * ```ts
 * let log = createAgentLogState();
 * log = reduceAgentLog(log, { type: 'file', data: { path: 'a.ts' }, seq: 1 });
 * ```
 */
export function reduceAgentLog(
  state: AgentLogState,
  events: ClientAgentEvent | readonly ClientAgentEvent[],
  limits: AgentLogLimits = {},
): AgentLogState {
  const maxRows = Math.max(1, limits.maxRows ?? 500);
  const maxTracked = Math.max(1, limits.maxTrackedSeqs ?? 10000);
  const next: AgentLogState = { ...state, rows: state.rows.slice(), receivedSeqs: state.receivedSeqs.slice() };
  for (const event of Array.isArray(events) ? events : [events as ClientAgentEvent]) apply(next, event, maxTracked);
  if (next.rows.length > maxRows) next.rows.splice(0, next.rows.length - maxRows);
  return next;
}
