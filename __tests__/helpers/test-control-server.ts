import { Subject } from 'rxjs';
import { createManagedAgent, type ManagedAgent } from '../../src/agent/create-managed-agent';
import type { ExitData } from '../../src/protocol/agent-event';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createControlServer, type ControlServer, type ControlServerOptions } from '../../src/server/create-control-server';

/** A control server on a real loopback socket with one agent whose upstream the test drives. */
export interface TestControlServer {
  server: ControlServer;
  url: string;
  agent: ManagedAgent;
  upstream: Subject<KiloEvent>;
  exit$: Subject<ExitData>;
  close(): Promise<void>;
}

export async function startTestControlServer(
  options: ControlServerOptions & { agentId?: string; historySize?: number } = {},
): Promise<TestControlServer> {
  const { agentId = 'a1', historySize, ...serverOptions } = options;
  const server = createControlServer({ port: 0, ...serverOptions });
  const upstream = new Subject<KiloEvent>();
  const exit$ = new Subject<ExitData>();
  const agent = server.registry.add(
    createManagedAgent({ agentId, sessionId: 'ses_test', events: upstream, exit$, historySize, firstId: 1 }),
  );
  const { url } = await server.listen();
  return { server, url, agent, upstream, exit$, close: () => server.close() };
}
