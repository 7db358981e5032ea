import { useState } from 'react';
import type { FetchLike } from '../client/client-options';
import { AgentStream } from '../react/AgentStream';
import { useSecondsUntil } from '../react/use-agent-stream';
import { useAgentList } from './use-agent-list';

/** The log fills the window below the page padding and the stream header. */
const LOG_HEIGHT = 'calc(100vh - 96px)';

/** Props of {@link Dashboard}. */
export interface DashboardProps {
  /** Prefix of the control server API (`''` = same origin, root). */
  baseUrl?: string;
  /** How often to refresh the agent list, ms. Default 2000. */
  pollMs?: number;
  /** The agent to watch first (e.g. from `?agent=ID`). */
  initialAgentId?: string | null;
  /** Called when the user picks an agent (e.g. to put it in the URL). */
  onSelect?: (agentId: string) => void;
  /** fetch implementation for the agent list. Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

/**
 * The control server's page: the agents (state, viewers), polled, and the live log of the one
 * picked. Both survive a control-server restart by themselves: while the server is down the list
 * keeps the last known agents under a "reconnecting · next try in 7 s" note and the log shows
 * `reconnecting`; neither ever ends in a dead error. Hooks for tests: `button[data-agent-id]` per
 * agent (with `data-list-state`, `data-viewers`, `aria-pressed`),
 * `[data-testid=dashboard][data-selected-agent]`, `[data-testid=agent-list][data-list-connection]`
 * (`live` or `reconnecting`), and while reconnecting `[data-testid=agents-reconnecting]` with
 * `data-next-attempt-at` (epoch ms) and `data-failures`.
 *
 * ## Example
 * ```tsx
 * createRoot(el).render(<Dashboard initialAgentId={new URLSearchParams(location.search).get('agent')} />);
 * ```
 */
export function Dashboard(props: DashboardProps) {
  const baseUrl = (props.baseUrl ?? '').replace(/\/+$/, '');
  const { agents, error, reconnecting, nextAttemptAt, failures } = useAgentList(baseUrl, props.pollMs ?? 2000, props.fetch);
  const secondsLeft = useSecondsUntil(reconnecting ? nextAttemptAt : null);
  const [selected, setSelected] = useState<string | null>(props.initialAgentId || null);

  const select = (id: string) => {
    setSelected(id);
    props.onSelect?.(id);
  };

  return (
    <div className="dash" data-testid="dashboard" data-selected-agent={selected ?? ''}>
      <aside className="dash-side">
        <h1 className="dash-h1">agent-stream</h1>
        <h2 className="dash-h2">Agents</h2>
        {reconnecting ? (
          <p
            className="dash-note"
            data-testid="agents-reconnecting"
            data-next-attempt-at={nextAttemptAt ?? undefined}
            data-failures={failures}
            title={error ?? undefined}
          >
            server unreachable · reconnecting · {secondsLeft === null || secondsLeft <= 0 ? 'trying now' : `next try in ${secondsLeft} s`}
          </p>
        ) : null}
        {agents === null ? <p className="dash-muted">loading…</p> : null}
        {agents !== null && agents.length === 0 ? (
          <p className="dash-muted" data-testid="no-agents">
            no agents
          </p>
        ) : null}
        <ul
          className="dash-list"
          data-testid="agent-list"
          data-loaded={agents !== null ? 'true' : 'false'}
          data-list-connection={reconnecting ? 'reconnecting' : 'live'}
        >
          {(agents ?? []).map((a) => (
            <li key={a.id}>
              <button
                type="button"
                className="dash-agent"
                data-agent-id={a.id}
                data-list-state={a.state}
                data-viewers={a.viewers}
                aria-pressed={a.id === selected}
                onClick={() => select(a.id)}
              >
                <span className="dash-agent-id">{a.id}</span>
                <span className="dash-agent-meta">
                  <span className={`dash-state dash-state-${a.state}`}>{a.state}</span>
                  {' · '}
                  <span>
                    {a.viewers} {a.viewers === 1 ? 'viewer' : 'viewers'}
                  </span>
                  {a.activeTools.length > 0 ? <span> · running {a.activeTools.join(', ')}</span> : null}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <main className="dash-main">
        {selected ? (
          <AgentStream key={selected} agentId={selected} baseUrl={baseUrl} logHeight={LOG_HEIGHT} />
        ) : (
          <p className="dash-muted" data-testid="pick-agent">
            Pick an agent to watch it live.
          </p>
        )}
      </main>
    </div>
  );
}
