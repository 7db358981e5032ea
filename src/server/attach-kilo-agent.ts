import type { Observable } from 'rxjs';
import type { ExitData, ExitReason } from '../agent/agent-event';
import type { AgentRegistry } from '../agent/create-agent-registry';
import { createManagedAgent, type ManagedAgent } from '../agent/create-managed-agent';
import { kiloEvents, type KiloDiagnostic, type KiloEventsOptions } from '../kilo/kilo-events';
import type { StreamMetrics } from './create-stream-metrics';

export interface AttachKiloAgentOptions extends Omit<KiloEventsOptions, 'onDiagnostic'> {
  /** Base URL of the kilo serve, e.g. `http://127.0.0.1:4096`. */
  url: string;
  /** Default: `sessionId`, else `kilo`. */
  agentId?: string;
  sessionId?: string;
  exit$?: Observable<ExitData>;
  onStop?: (reason: ExitReason) => void;
  onDiagnostic?: (d: KiloDiagnostic) => void;
}

/**
 * Registers a running kilo serve as one agent, consumed through `kiloEvents` (the same path the
 * demo and spawned agents take), with its upstream counted in `metrics`.
 */
export function attachKiloAgent(registry: AgentRegistry, metrics: StreamMetrics, options: AttachKiloAgentOptions): ManagedAgent {
  const { url, agentId, sessionId, exit$, onStop, onDiagnostic, ...kilo } = options;
  const events = kiloEvents(url, {
    ...kilo,
    onDiagnostic: (d) => {
      if (d.type === 'reconnecting') metrics.upstreamReconnects++;
      if (d.type === 'malformed' || d.type === 'unknown') metrics.eventsDropped++;
      onDiagnostic?.(d);
    },
  });
  return registry.add(createManagedAgent({ agentId: agentId ?? sessionId ?? 'kilo', sessionId, events, exit$, onStop }));
}
