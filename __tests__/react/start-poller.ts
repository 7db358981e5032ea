import { createAgentListPoller, type AgentList, type AgentListPollerOptions } from '../../src/dashboard/use-agent-list';

/** Starts an agent-list poller on `fetch` (base `http://host.test`, every 2 s) that records every list it reports. */
export function startPoller(fetch: AgentListPollerOptions['fetch'], extra: Partial<AgentListPollerOptions> = {}) {
  const lists: AgentList[] = [];
  const poller = createAgentListPoller({ baseUrl: 'http://host.test', pollMs: 2000, fetch, onChange: (l) => lists.push(l), ...extra });
  return { lists, poller };
}
