import { useCallback, useMemo, useRef, useState } from 'react';
import type { FetchLike } from '../client/client-options';
import { AgentActionError, createAgentActions } from '../client/create-agent-actions';
import type { AgentActHandlers } from '../react/agent-actions';
import { SIGN_IN_NOTE } from './access-note';
import type { AgentSummary } from './use-agent-list';

/** Where the display name is kept in `localStorage`. */
export const DISPLAY_NAME_KEY = 'agent-stream.displayName';

/** The reasons the dashboard shows next to disabled controls. */
export const ACT_REASONS = {
  watchOnlyToken: 'your token may only watch',
  watchOnlyAgent: 'this agent can only be watched',
  exited: 'the agent has exited',
  loading: 'waiting for the agent list',
} as const;

/**
 * A display name as the server accepts it for `by` (docs/protocol.md §7): at most 40 letters,
 * digits, spaces or `._@-`; other characters are dropped (the server would ignore the whole name).
 */
export const cleanDisplayName = (name: string): string => name.replace(/[^\p{L}\p{N} ._@-]/gu, '').slice(0, 40);

const storage = (): Storage | undefined => {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // storage disabled
  }
};

/** The display name the person typed once, kept in `localStorage` (`''` until set). */
export function useDisplayName(): [string, (name: string) => void] {
  const [name, setName] = useState(() => {
    try {
      return cleanDisplayName(storage()?.getItem(DISPLAY_NAME_KEY) ?? '');
    } catch {
      return '';
    }
  });
  const update = useCallback((value: string) => {
    const clean = cleanDisplayName(value);
    setName(clean);
    try {
      if (clean.trim()) storage()?.setItem(DISPLAY_NAME_KEY, clean);
      else storage()?.removeItem(DISPLAY_NAME_KEY);
    } catch {
      // storage full or disabled: the name lasts for this page
    }
  }, []);
  return [name, update];
}

/** What a refusal teaches about acting on this agent: a reason to disable the controls, or nothing. */
function blockOf(err: unknown): string | null {
  if (!(err instanceof AgentActionError)) return null;
  if (err.status === 403 && err.code === 'forbidden') return ACT_REASONS.watchOnlyToken;
  if (err.status === 501) return ACT_REASONS.watchOnlyAgent;
  return null;
}

/** Options of {@link useDashboardActing}. */
export interface DashboardActingOptions {
  baseUrl: string;
  /** The agent watched, if any. */
  agentId: string | null;
  /** Its entry in the agent list (`undefined` while unknown). */
  summary: AgentSummary | undefined;
  /** Whether the agent list answered at least once. */
  listLoaded: boolean;
  /** The display name sent as `by`. */
  displayName: string;
  fetch?: FetchLike;
}

/** What the dashboard passes to `<AgentStream>`. */
export interface DashboardActing extends Required<AgentActHandlers> {
  canAct: boolean;
  actDisabledReason?: string;
}

/**
 * The acting controls of the dashboard for the agent watched: handlers that post to the acting
 * routes (same origin, `credentials: 'same-origin'`, `by` = the display name), and whether the
 * controls are enabled: only for an agent the list calls `actionable` and credentials that may
 * act. The server does not say up front whether the credentials may act, so that is learned per
 * agent from the first 403 `forbidden` (or 501 `not_supported`) on an act route: the controls
 * then stay disabled with "your token may only watch" (or "this agent can only be watched"). No
 * probe request is sent (it would log an error in every page's console).
 *
 * ## Example
 * ```tsx
 * const acting = useDashboardActing({ baseUrl: '', agentId, summary, listLoaded: true, displayName });
 * return <AgentStream agentId={agentId} {...acting} />;
 * ```
 */
export function useDashboardActing(options: DashboardActingOptions): DashboardActing {
  const { baseUrl, agentId, summary, listLoaded, fetch } = options;
  /** Per agent: a reason acting is refused (learned from the server). */
  const [blocked, setBlocked] = useState<Record<string, string>>({});
  const name = useRef(options.displayName);
  name.current = options.displayName;

  const actions = useMemo(
    () => (agentId ? createAgentActions({ agentId, baseUrl, fetch, by: () => name.current, credentials: 'same-origin' }) : null),
    [agentId, baseUrl, fetch],
  );

  const learn = useCallback(
    (err: unknown) => {
      const reason = blockOf(err);
      if (reason && agentId) setBlocked((all) => (all[agentId] === reason ? all : { ...all, [agentId]: reason }));
      return reason;
    },
    [agentId],
  );

  const actionable = summary?.actionable === true;

  const handlers = useMemo((): Required<AgentActHandlers> => {
    const guard =
      <A extends unknown[]>(call: (...args: A) => Promise<void>) =>
      async (...args: A): Promise<void> => {
        try {
          await call(...args);
        } catch (err) {
          const reason = learn(err);
          if (reason) throw new Error(reason);
          if (err instanceof AgentActionError && err.status === 401) throw new Error(SIGN_IN_NOTE);
          throw err;
        }
      };
    const none = async () => {
      throw new Error('no agent');
    };
    return {
      onPrompt: actions ? guard(actions.prompt) : none,
      onAbort: actions ? guard(actions.abort) : none,
      onPermission: actions ? guard(actions.permission) : none,
      onQuestion: actions ? guard(actions.question) : none,
    };
  }, [actions, learn]);

  let reason: string | undefined;
  if (agentId && blocked[agentId]) reason = blocked[agentId];
  else if (!summary) reason = listLoaded ? ACT_REASONS.watchOnlyAgent : ACT_REASONS.loading;
  else if (!actionable)
    reason =
      summary.state === 'exited' || summary.state === 'failed'
        ? ACT_REASONS.exited
        : summary.watchOnly === false
          ? ACT_REASONS.watchOnlyToken
          : ACT_REASONS.watchOnlyAgent;
  return { ...handlers, canAct: reason === undefined, ...(reason !== undefined ? { actDisabledReason: reason } : {}) };
}
