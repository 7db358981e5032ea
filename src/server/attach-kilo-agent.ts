import type { Observable } from 'rxjs';
import type { ExitData, ExitReason } from '../protocol/agent-event';
import type { AgentRegistry } from '../agent/create-agent-registry';
import { createManagedAgent, type ManagedAgent } from '../agent/create-managed-agent';
import type { KiloDiagnostic, KiloEventsOptions } from '../kilo/kilo-events';
import { createKiloActions } from '../kilo/create-kilo-actions';
import { kiloSessionEvents, type KiloRefillDiagnostic } from '../kilo/kilo-session-events';
import type { StreamMetrics } from './create-stream-metrics';
import { kiloAuthorization } from '../kilo/kilo-authorization';

export interface AttachKiloAgentOptions extends Omit<KiloEventsOptions, 'onDiagnostic' | 'includeSync'> {
  /** Base URL of the kilo serve, e.g. `http://127.0.0.1:4096`. */
  url: string;
  /** Default: `sessionId`, else `kilo`. */
  agentId?: string;
  sessionId?: string;
  exit$?: Observable<ExitData>;
  onStop?: (reason: ExitReason) => void;
  onDiagnostic?: (d: KiloDiagnostic | KiloRefillDiagnostic) => void;
  /** The agent can only be watched: no prompt, abort or answers through agent-stream (the demo). */
  watchOnly?: boolean;
  /** The agent's first id (see `createManagedAgent`); default time-based, above an earlier instance's ids. */
  firstId?: number;
}

/**
 * Registers a running kilo serve as one agent, consumed through `kiloSessionEvents` (the same
 * path the demo and spawned agents take), with its upstream counted in `metrics`.
 */
export function attachKiloAgent(registry: AgentRegistry, metrics: StreamMetrics, options: AttachKiloAgentOptions): ManagedAgent {
  return registry.add(createKiloAgent(metrics, options));
}

/** The agent of a running kilo serve (see {@link attachKiloAgent}), not registered anywhere. */
export function createKiloAgent(metrics: StreamMetrics, options: AttachKiloAgentOptions): ManagedAgent {
  const { url, agentId, sessionId, exit$, onStop, onDiagnostic, firstId, watchOnly, ...kilo } = options;
  // The session's events with kilo's log behind them: a reconnect or a restart of this server
  // loses nothing kilo still has (docs/protocol.md §2.1).
  const events = kiloSessionEvents(url, {
    ...kilo,
    sessionId,
    onDiagnostic: (d) => {
      if (d.type === 'reconnecting') metrics.upstreamReconnects++;
      if (d.type === 'malformed' || d.type === 'unknown') metrics.eventsDropped++;
      onDiagnostic?.(d);
    },
  });
  // What a person may do (prompt, abort, answer kilo's requests), on the session's kilo routes.
  let agent: ManagedAgent | undefined;
  const actions = createKiloActions({
    baseUrl: url,
    directory: kilo.directory,
    authorization: kiloAuthorization(kilo.password),
    sessionId: () => agent?.sessionId ?? sessionId ?? null,
  });
  agent = createManagedAgent({
    agentId: agentId ?? sessionId ?? 'kilo',
    sessionId,
    events,
    exit$,
    onStop,
    firstId,
    actions: watchOnly ? undefined : actions,
  });
  return agent;
}
