import type { RenderText } from '../react/agent-log-row';
import { AgentLogRow } from '../react/agent-log-row';
import type { AgentSummary } from './use-agent-list';
import { useMultiplexLogs } from './use-multiplex-logs';

/** Rows shown per pane (the newest). */
const PANE_ROWS = 40;

/** Props of {@link AgentGrid}. */
export interface AgentGridProps {
  baseUrl: string;
  agents: readonly AgentSummary[];
  /** Opens one agent in the single view. */
  onOpen: (agentId: string) => void;
  renderText?: RenderText;
}

/**
 * Several agents live at once, one pane each (a responsive grid), all over ONE multiplexed
 * connection ({@link useMultiplexLogs}). Each pane: the agent, its state, "waiting for you", and
 * its newest rows. Hooks: `[data-testid=agent-grid][data-connection][data-streams]`, panes
 * `[data-testid=grid-pane][data-agent-id]` with `data-last-seq` and `data-received-count`.
 *
 * ## Example
 * ```tsx
 * <AgentGrid baseUrl="" agents={agents} onOpen={(id) => select(id)} />
 * ```
 */
export function AgentGrid({ baseUrl, agents, onOpen, renderText }: AgentGridProps) {
  const ids = agents.map((a) => a.id);
  const { logs, connection, streams } = useMultiplexLogs(baseUrl, ids);
  return (
    <div className="dash-grid" data-testid="agent-grid" data-connection={connection} data-streams={streams}>
      {agents.map((a) => {
        const log = logs[a.id];
        const rows = log ? log.rows.slice(-PANE_ROWS) : [];
        const state = log?.exit ? 'exited' : (log?.status?.state ?? a.state);
        return (
          <section
            key={a.id}
            className="dash-pane as-root"
            data-testid="grid-pane"
            data-agent-id={a.id}
            data-last-seq={log?.lastSeq ?? ''}
            data-received-count={log?.receivedCount ?? 0}
            aria-label={`agent ${a.id}`}
          >
            <header className="as-header">
              <button type="button" className="dash-pane-open" onClick={() => onOpen(a.id)} title="Open this agent">
                {a.id}
              </button>
              <span className="as-pill" data-agent-state={state}>
                {state}
              </span>
              {(a.waiting ?? 0) > 0 ? <span className="dash-waiting">waiting for you</span> : null}
            </header>
            <ol className="as-log dash-pane-log">
              {rows.map((row) => (
                <AgentLogRow key={row.key} row={row} renderText={renderText} />
              ))}
            </ol>
          </section>
        );
      })}
    </div>
  );
}
