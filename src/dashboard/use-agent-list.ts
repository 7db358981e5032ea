import { useEffect, useState } from 'react';
import type { AgentState } from '../agent/agent-event';
import type { FetchLike } from '../client/client-options';

/** One entry of `GET /agents`. */
export interface AgentSummary {
  id: string;
  sessionId: string | null;
  state: AgentState;
  activeTools: string[];
  viewers: number;
  lastEventId: number;
}

/** The polled list: `agents` is `null` until the first answer. */
export interface AgentList {
  agents: AgentSummary[] | null;
  error: string | null;
}

/**
 * Polls `GET <baseUrl>/agents` every `pollMs` (one request at a time) while mounted.
 *
 * ## Example
 * ```tsx
 * const { agents } = useAgentList('', 2000);
 * ```
 */
export function useAgentList(baseUrl: string, pollMs: number, fetchImpl?: FetchLike): AgentList {
  const [list, setList] = useState<AgentList>({ agents: null, error: null });
  useEffect(() => {
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const doFetch: FetchLike = fetchImpl ?? ((url, init) => globalThis.fetch(url, init));
    const poll = async () => {
      try {
        const response = await doFetch(`${baseUrl}/agents`, { headers: { accept: 'application/json' }, signal: controller.signal });
        if (!response.ok) throw new Error(`GET /agents answered ${response.status}`);
        const body = (await response.json()) as { agents?: AgentSummary[] };
        if (!Array.isArray(body.agents)) throw new Error('GET /agents: no agents array');
        if (active) setList({ agents: body.agents, error: null });
      } catch (err) {
        if (active) setList((prev) => ({ agents: prev.agents, error: err instanceof Error ? err.message : String(err) }));
      }
      if (active) timer = setTimeout(poll, pollMs);
    };
    void poll();
    return () => {
      active = false;
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [baseUrl, pollMs, fetchImpl]);
  return list;
}
