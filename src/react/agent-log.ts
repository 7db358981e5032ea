import type { ExitData, StatusData, ToolStatus } from '../agent/agent-event';
import type { ClientAgentEvent } from '../client/client-options';

interface RowBase {
  /** Stable React key: per part for text, per call for tools, else per event. */
  key: string;
  /** The id of the last event applied to this row (absent for `gap`). */
  seq?: number;
}

/** One line of the rendered log. */
export type LogRow =
  | (RowBase & { kind: 'text'; reasoning: boolean; role: 'user' | 'assistant'; messageId: string; partId: string; text: string })
  | (RowBase & {
      kind: 'tool'; messageId: string; callId: string; tool: string; status: ToolStatus; title?: string;
      input?: Record<string, unknown>; output?: string; error?: string; truncated?: true;
    })
  | (RowBase & { kind: 'file'; path: string })
  | (RowBase & { kind: 'message'; messageId: string; finish?: string; tokens?: { total?: number; input: number; output: number }; cost?: number })
  | (RowBase & { kind: 'error'; name: string; message: string })
  | (RowBase & { kind: 'gap'; after: number; oldest: number })
  | (RowBase & { kind: 'exit'; reason: string; code?: number | null });

/** Everything the log view shows, derived from the events received so far. */
export interface AgentLogState {
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
  return { rows: [], status: null, exit: null, receivedSeqs: [], receivedCount: 0, lastSeq: null, serial: 0 };
}

/** `{...a, ...b}` without letting `undefined` fields of `b` erase those of `a`. */
const merge = <T extends object>(a: T, b: Partial<T>): T => {
  const out = { ...a } as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) if (v !== undefined) out[k] = v;
  return out as T;
};

/** Puts `row` in place of the row with the same key, else appends it; keeps at most `maxRows`. */
const upsert = (rows: LogRow[], row: LogRow, maxRows: number, update?: (old: LogRow) => LogRow): LogRow[] => {
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i].key === row.key) {
      const next = rows.slice();
      next[i] = update ? update(rows[i]) : row;
      return next;
    }
  }
  const next = rows.length >= maxRows ? rows.slice(rows.length - maxRows + 1) : rows.slice();
  next.push(row);
  return next;
};

/**
 * Applies one event to the log: text and reasoning merged per part (updated in place), one row
 * per tool call updated through its statuses, one row per file edit, message end, error, gap and
 * exit. `status` events update `status` only. Pure: returns a new state.
 *
 * ## Example
 * ```ts
 * let log = createAgentLogState();
 * log = reduceAgentLog(log, { type: 'file', data: { path: 'a.ts' }, seq: 1 });
 * ```
 */
export function reduceAgentLog(state: AgentLogState, event: ClientAgentEvent, limits: AgentLogLimits = {}): AgentLogState {
  const maxRows = Math.max(1, limits.maxRows ?? 500);
  const maxTracked = Math.max(1, limits.maxTrackedSeqs ?? 10000);
  const seq = event.seq;
  let next: AgentLogState = { ...state, receivedCount: state.receivedCount + 1 };
  if (seq !== undefined) {
    const seqs = state.receivedSeqs.length >= maxTracked ? state.receivedSeqs.slice(1 - maxTracked) : state.receivedSeqs.slice();
    seqs.push(seq);
    next = { ...next, receivedSeqs: seqs, lastSeq: seq };
  }
  const own = (kind: string) => `${kind}:${seq ?? `n${next.serial}`}`;
  const bump = () => (next = { ...next, serial: next.serial + 1 });

  switch (event.type) {
    case 'status':
      return { ...next, status: event.data };
    case 'text':
    case 'reasoning': {
      const d = event.data;
      const row: LogRow = {
        kind: 'text', key: `${event.type}:${d.partId}`, seq, reasoning: event.type === 'reasoning',
        role: d.role, messageId: d.messageId, partId: d.partId, text: d.text,
      };
      return { ...next, rows: upsert(next.rows, row, maxRows, (old) => ({ ...old, text: d.text, seq: seq ?? old.seq } as LogRow)) };
    }
    case 'tool': {
      const { callId, messageId, tool, status, title, input, output, error, truncated } = event.data;
      const row: LogRow = { kind: 'tool', key: `tool:${callId}`, seq, callId, messageId, tool, status, title, input, output, error, truncated };
      return {
        ...next,
        rows: upsert(next.rows, row, maxRows, (old) => merge(old, { ...row, seq: seq ?? old.seq } as Partial<LogRow>)),
      };
    }
    case 'file':
      bump();
      return { ...next, rows: upsert(next.rows, { kind: 'file', key: own('file'), seq, path: event.data.path }, maxRows) };
    case 'message': {
      const { messageId, finish, tokens, cost } = event.data;
      bump();
      return { ...next, rows: upsert(next.rows, { kind: 'message', key: own('message'), seq, messageId, finish, tokens, cost }, maxRows) };
    }
    case 'error':
      bump();
      return { ...next, rows: upsert(next.rows, { kind: 'error', key: own('error'), seq, ...event.data }, maxRows) };
    case 'gap':
      bump();
      return { ...next, rows: upsert(next.rows, { kind: 'gap', key: own('gap'), seq, ...event.data }, maxRows) };
    case 'exit':
      bump();
      return {
        ...next,
        exit: event.data,
        rows: upsert(next.rows, { kind: 'exit', key: own('exit'), seq, reason: event.data.reason, code: event.data.code }, maxRows),
      };
    default:
      return next;
  }
}
