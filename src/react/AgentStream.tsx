import { useCallback, useLayoutEffect, useRef, useState, type CSSProperties } from 'react';
import { AgentLogRow } from './agent-log-row';
import { AGENT_STREAM_CSS } from './agent-stream-styles';
import { useAgentStream, useSecondsUntil, type AgentStreamView, type UseAgentStreamOptions } from './use-agent-stream';

/** Props of {@link AgentStream}: the client options (plus `agentId`), log limits and looks. */
export interface AgentStreamProps extends UseAgentStreamOptions {
  /** The agent to watch. */
  agentId: string;
  /** Header text. Default: the agent id. */
  title?: string;
  /** Extra class on the root element. */
  className?: string;
  /** Height of the scrolling log (CSS length). Default `70vh`. */
  logHeight?: string;
  /** Leave out the built-in stylesheet (style the `as-` classes yourself). Default false. */
  unstyled?: boolean;
}

/** Distance from the bottom (px) under which the view counts as "at the bottom". */
const STICK_PX = 32;

/**
 * The tools running now. `status` frames come only when the agent state changes, so their
 * `activeTools` go stale within a turn: the tool rows (pending/running) are the live truth; the
 * status snapshot is used only before any tool row arrived. None once the agent is not busy.
 */
function runningToolsOf(log: AgentStreamView['log'], agentState: string): string[] {
  if (agentState !== 'busy' && agentState !== 'retry') return [];
  const tools = log.rows.filter((r) => r.kind === 'tool');
  if (tools.length === 0) return log.status?.activeTools ?? [];
  const names = tools.flatMap((r) => (r.kind === 'tool' && (r.status === 'running' || r.status === 'pending') ? [r.tool] : []));
  return [...new Set(names)];
}

/**
 * The text of the connection pill: the state, and while `reconnecting` when the next try comes
 * ("reconnecting · next try in 7 s", "reconnecting · trying now").
 */
function connectionLabel(connection: AgentStreamView['connection'], secondsLeft: number | null): string {
  if (connection !== 'reconnecting') return connection;
  return secondsLeft === null || secondsLeft <= 0 ? 'reconnecting · trying now' : `reconnecting · next try in ${secondsLeft} s`;
}

/**
 * The live log of one agent: streaming assistant text (one row per part, updated in place), one
 * row per tool call (status, name, title, input/output in a `<details>`), file edits, errors,
 * the agent state and the connection state. Follows new rows unless the user scrolled up.
 *
 * Hooks for tests: root `[data-testid=agent-stream]` with `data-stream-agent-id`,
 * `data-received-seqs` (comma-separated ids), `data-received-count`, `data-last-seq`,
 * `data-autoscroll`; `[data-testid=connection-state][data-state]` (with `data-next-attempt-at`,
 * epoch ms, while `reconnecting`: the pill counts down "next try in 7 s"; a transient outage is
 * never shown as `failed`) and
 * `[data-testid=agent-state][data-agent-state]` (each attribute used by that element only);
 * rows `li[data-seq][data-row-type]`, tool rows with `data-call-id` and `data-tool-status`.
 *
 * ## Example
 * ```tsx
 * <AgentStream agentId="demo" maxRows={300} onEvent={(e) => print(e.type)} />
 * ```
 */
export function AgentStream(props: AgentStreamProps) {
  const { title, className, logHeight, unstyled, ...options } = props;
  const { log, connection, error, nextAttemptAt } = useAgentStream(options);
  const waitingFor = connection === 'reconnecting' ? nextAttemptAt : null;
  const secondsLeft = useSecondsUntil(waitingFor);
  const listRef = useRef<HTMLOListElement>(null);
  const followRef = useRef(true);
  const [following, setFollowing] = useState(true);

  const onScroll = useCallback(() => {
    const el = listRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX;
    if (atBottom !== followRef.current) {
      followRef.current = atBottom;
      setFollowing(atBottom);
    }
  }, []);

  const jumpToLatest = useCallback(() => {
    const el = listRef.current;
    followRef.current = true;
    setFollowing(true);
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && followRef.current) el.scrollTop = el.scrollHeight;
  }, [log.rows]);

  const agentState = log.exit ? 'exited' : (log.status?.state ?? 'unknown');
  const activeTools = runningToolsOf(log, agentState);
  const style = logHeight ? ({ '--as-log-height': logHeight } as CSSProperties) : undefined;

  return (
    <section
      className={`as-root${className ? ` ${className}` : ''}`}
      data-testid="agent-stream"
      data-stream-agent-id={props.agentId}
      data-received-seqs={log.receivedSeqs.join(',')}
      data-received-count={log.receivedCount}
      data-last-seq={log.lastSeq ?? ''}
      data-autoscroll={following ? 'true' : 'false'}
      style={style}
    >
      {unstyled ? null : <style>{AGENT_STREAM_CSS}</style>}
      <header className="as-header">
        <span className="as-title">{title ?? props.agentId}</span>
        <span>
          agent{' '}
          <span className="as-pill" data-testid="agent-state" data-agent-state={agentState}>
            {agentState}
          </span>
        </span>
        <span>
          connection{' '}
          <span className="as-pill" data-testid="connection-state" data-state={connection} data-next-attempt-at={waitingFor ?? undefined}>
            {connectionLabel(connection, secondsLeft)}
          </span>
        </span>
        {activeTools.length > 0 ? (
          <span className="as-muted" data-testid="active-tools">
            running: {activeTools.join(', ')}
          </span>
        ) : null}
        {error && connection !== 'live' ? (
          <span className="as-muted" data-testid="connection-error">
            {error.message}
          </span>
        ) : null}
      </header>
      <ol className="as-log" ref={listRef} onScroll={onScroll} data-testid="agent-log" aria-live="polite">
        {log.rows.length === 0 ? (
          <li className="as-empty" data-testid="empty">
            waiting for events…
          </li>
        ) : null}
        {log.rows.map((row) => (
          <AgentLogRow key={row.key} row={row} />
        ))}
      </ol>
      {following ? null : (
        <button type="button" className="as-jump" onClick={jumpToLatest} data-testid="jump-to-latest">
          ↓ latest
        </button>
      )}
    </section>
  );
}
