import { useCallback, useEffect, useState } from 'react';
import type { FetchLike } from '../client/client-options';
import { AgentStream } from '../react/AgentStream';
import type { RenderText } from '../react/agent-log-row';
import { useSecondsUntil } from '../react/use-agent-stream';
import { accessNoteOf } from './access-note';
import { useAgentList } from './use-agent-list';
import { useAttention } from './use-attention';
import { AgentGrid } from './agent-grid';
import { focusPendingRequest } from './focus-pending-request';
import { useDashboardActing, useDisplayName } from './use-dashboard-acting';

/** The log fills the window below the page padding, the stream header and the prompt box. */
const LOG_HEIGHT = 'calc(100vh - 200px)';

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
  /** fetch implementation for the agent list and the acting routes. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Start in the grid view (every agent live, one connection), e.g. from `?view=grid`. */
  initialGrid?: boolean;
  /** Called when the user switches between the single and the grid view. */
  onGrid?: (grid: boolean) => void;
  /** How assistant text is shown (main.tsx passes markdown); default plain text. */
  renderText?: RenderText;
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
 * When the server refuses the list (a token is configured, docs/protocol.md §6) the page does not
 * spin: a 401 shows `[data-testid=auth-needed]` ("Sign in: open the link with #token=… that
 * agent-stream printed when it started"), a 403 `[data-testid=access-forbidden]` (with
 * `data-code`); no agent is listed or streamed, and the list asks again every 10 s, so the page
 * recovers by itself once it is signed in. The picked agent's stream starts once the list has
 * answered (or failed) once, so a page that is not signed in asks for no ticket.
 *
 * Acting (docs/protocol.md §7): under the log, a prompt box, a Stop button while the agent is
 * busy, and a card per pending permission request or question (see `<AgentStream>`). They post
 * to the acting routes with `by` = the display name typed once in the sidebar
 * (`input[data-testid=display-name]`, kept in `localStorage`). They are disabled, with the reason,
 * for an agent that can only be watched (`actionable: false` in the list, e.g. the demo) and for
 * credentials that may only watch (learned from the first 403 `forbidden` on an act route: "your
 * token may only watch"); see `useDashboardActing`.
 *
 * ## Example
 * ```tsx
 * createRoot(el).render(<Dashboard initialAgentId={new URLSearchParams(location.search).get('agent')} />);
 * ```
 */
export function Dashboard(props: DashboardProps) {
  const baseUrl = (props.baseUrl ?? '').replace(/\/+$/, '');
  const { agents, error, reconnecting, nextAttemptAt, failures, access } = useAgentList(baseUrl, props.pollMs ?? 2000, props.fetch);
  const secondsLeft = useSecondsUntil(reconnecting ? nextAttemptAt : null);
  // No ticket is asked for before the list answered once: a page that is not signed in must not
  // request one (it would only be refused). An outage counts as an answer (the stream retries too).
  const listAnswered = agents !== null || reconnecting || access !== null;
  const [selected, setSelected] = useState<string | null>(props.initialAgentId || null);
  const [displayName, setDisplayName] = useDisplayName();
  const acting = useDashboardActing({
    baseUrl,
    agentId: access || !listAnswered ? null : selected,
    summary: agents?.find((a) => a.id === selected),
    listLoaded: agents !== null,
    displayName,
    fetch: props.fetch,
  });

  const attention = useAttention(agents);
  const [grid, setGridState] = useState(props.initialGrid === true);
  const { onGrid } = props;
  const setGrid = useCallback(
    (on: boolean) => {
      setGridState(on);
      onGrid?.(on);
    },
    [onGrid],
  );
  const { onSelect } = props;
  const select = useCallback(
    (id: string) => {
      setSelected(id);
      setGridState(false);
      onGrid?.(false);
      onSelect?.(id);
    },
    [onSelect, onGrid],
  );

  // Exactly one agent and none picked (no ?agent=): show it at once.
  const only = agents?.length === 1 ? agents[0]!.id : null;
  useEffect(() => {
    if (only !== null && selected === null) select(only);
  }, [only, selected, select]);

  // Alt+W: the agent whose request waits longest, its request focused.
  const oldest = attention.waiting[0]?.id ?? null;
  const jumpToWaiting = useCallback(() => {
    if (oldest === null) return;
    select(oldest);
    focusPendingRequest(oldest);
  }, [oldest, select]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyW') {
        e.preventDefault();
        jumpToWaiting();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [jumpToWaiting]);

  return (
    <div className="dash" data-testid="dashboard" data-selected-agent={selected ?? ''}>
      <aside className="dash-side">
        <h1 className="dash-h1">agent-stream</h1>
        <label className="dash-name">
          <span className="dash-h2">Your name</span>
          <input
            className="dash-input"
            data-testid="display-name"
            type="text"
            maxLength={40}
            autoComplete="nickname"
            placeholder="shown with what you do"
            title="Shown to every viewer next to what you do here (letters, digits, spaces, . _ @ -)"
            value={displayName}
            onChange={(e) => setDisplayName(e.target.value)}
          />
        </label>
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
        {access ? (
          <p
            className="dash-note"
            data-testid={access.status === 401 ? 'auth-needed' : 'access-forbidden'}
            data-status={access.status}
            data-code={access.code ?? undefined}
            title={error ?? undefined}
          >
            {accessNoteOf(access)}
          </p>
        ) : null}
        {agents === null && !access ? <p className="dash-muted">loading…</p> : null}
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
                data-waiting={a.waiting ?? 0}
                aria-pressed={a.id === selected}
                onClick={() => select(a.id)}
              >
                <span className="dash-agent-id">
                  {a.id}
                  {(a.waiting ?? 0) > 0 ? (
                    <span className="dash-waiting" data-testid="waiting-mark">
                      waiting for you{(a.waiting ?? 0) > 1 ? ` (${a.waiting})` : ''}
                    </span>
                  ) : null}
                </span>
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
        {agents && agents.length > 1 ? (
          <button
            type="button"
            className="dash-jump dash-grid-toggle"
            data-testid="grid-toggle"
            aria-pressed={grid}
            onClick={() => setGrid(!grid)}
          >
            {grid ? 'Back to one agent' : `Watch all ${agents.length} at once`}
          </button>
        ) : null}
        {attention.waiting.length > 0 ? (
          <button type="button" className="dash-jump" data-testid="jump-waiting" onClick={jumpToWaiting} aria-keyshortcuts="Alt+W">
            Go to the oldest waiting request <kbd>Alt</kbd>+<kbd>W</kbd>
          </button>
        ) : null}
        {attention.canNotify ? (
          <label className="dash-check">
            <input
              type="checkbox"
              data-testid="notify-toggle"
              checked={attention.notify}
              onChange={(e) => attention.setNotify(e.target.checked)}
            />{' '}
            Desktop notification when an agent waits for you
          </label>
        ) : null}
        <div className="dash-sr" role="status" aria-live="polite" data-testid="attention-live">
          {attention.announcement}
        </div>
      </aside>
      <main className="dash-main">
        {access ? (
          <p className="dash-muted" data-testid="signed-out">
            {access.status === 401 ? 'Sign in to watch the agents.' : 'Nothing to show: the server refuses this page.'}
          </p>
        ) : grid && agents ? (
          <AgentGrid baseUrl={baseUrl} agents={agents} onOpen={select} renderText={props.renderText} />
        ) : selected && !listAnswered ? (
          <p className="dash-muted" data-testid="stream-pending">
            loading…
          </p>
        ) : selected ? (
          <AgentStream
            key={selected}
            unstyled
            agentId={selected}
            baseUrl={baseUrl}
            logHeight={LOG_HEIGHT}
            renderText={props.renderText}
            {...acting}
          />
        ) : (
          <p className="dash-muted" data-testid="pick-agent">
            Pick an agent to watch it live.
          </p>
        )}
      </main>
    </div>
  );
}
