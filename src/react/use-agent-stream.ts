import { useEffect, useReducer, useRef, useState } from 'react';
import { AgentStreamClientError } from '../client/agent-stream-client-error';
import type {
  AgentStreamClientOptions, ClientAgentEvent, ConnectionState, ConnectionStateInfo,
} from '../client/client-options';
import { createAgentStreamClient } from '../client/create-agent-stream-client';
import { createAgentLogState, reduceAgentLog, type AgentLogLimits, type AgentLogState } from './agent-log';

/** Options of {@link useAgentStream}: the client's (callbacks optional) plus the log limits. */
export interface UseAgentStreamOptions extends Omit<AgentStreamClientOptions, 'onEvent' | 'onState'>, AgentLogLimits {
  /** Called with every event, after it was applied to the log. */
  onEvent?: (event: ClientAgentEvent) => void;
  /** Called on every connection state change. */
  onStateChange?: (state: ConnectionState, info: ConnectionStateInfo) => void;
}

/** What {@link useAgentStream} returns. */
export interface AgentStreamView {
  log: AgentLogState;
  connection: ConnectionState;
  /** Why the connection failed, or the error being retried. */
  error: Error | null;
}

type Action = { type: 'reset' } | { type: 'event'; event: ClientAgentEvent; limits: AgentLogLimits };

const reducer = (state: AgentLogState, action: Action): AgentLogState =>
  action.type === 'reset' ? createAgentLogState() : reduceAgentLog(state, action.event, action.limits);

/**
 * Runs an agent-stream client while the component is mounted and folds its events into an
 * {@link AgentLogState}. A new client (and an empty log) when `agentId`, `baseUrl`, `ticketUrl`
 * or `types` change; other options are read when the client starts.
 *
 * ## Example
 * ```tsx
 * const { log, connection } = useAgentStream({ agentId: 'demo' });
 * return <p>{connection}: {log.rows.length} rows</p>;
 * ```
 */
export function useAgentStream(options: UseAgentStreamOptions): AgentStreamView {
  const [log, dispatch] = useReducer(reducer, undefined, createAgentLogState);
  const [connection, setConnection] = useState<{ state: ConnectionState; error: Error | null }>({ state: 'connecting', error: null });
  const latest = useRef(options);
  latest.current = options;
  const typesKey = options.types?.join(',') ?? '';

  useEffect(() => {
    let active = true;
    dispatch({ type: 'reset' });
    setConnection({ state: 'connecting', error: null });
    const { onEvent: _onEvent, onStateChange: _onStateChange, maxRows: _maxRows, maxTrackedSeqs: _max, ...clientOptions } = latest.current;
    let client: { close(): void } | null = null;
    try {
      client = createAgentStreamClient({
        ...clientOptions,
        onEvent: (event) => {
          if (!active) return;
          const { maxRows, maxTrackedSeqs } = latest.current;
          dispatch({ type: 'event', event, limits: { maxRows, maxTrackedSeqs } });
          latest.current.onEvent?.(event);
        },
        onState: (state, info) => {
          if (!active) return;
          setConnection({ state, error: info.error ?? null });
          latest.current.onStateChange?.(state, info);
        },
      });
    } catch (err) {
      const error = err instanceof Error ? err : new AgentStreamClientError('stream_error', String(err));
      setConnection({ state: 'failed', error });
    }
    return () => {
      active = false;
      client?.close();
    };
  }, [options.agentId, options.baseUrl, options.ticketUrl, typesKey]);

  return { log, connection: connection.state, error: connection.error };
}
