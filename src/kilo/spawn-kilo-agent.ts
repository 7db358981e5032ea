import { firstValueFrom, tap } from 'rxjs';
import { createManagedAgent, type ManagedAgent, type ManagedAgentDiagnostic } from '../agent/create-managed-agent';
import { createKiloActions } from './create-kilo-actions';
import { kiloSessionEvents, type KiloSessionEventsOptions } from './kilo-session-events';
import { KiloLaunchError } from './kilo-launch-error';
import { createKiloSessionClient, type KiloModelRef, type KiloSessionClient } from './kilo-session-client';
import { launchKilo, type KiloProcess } from './launch-kilo';
import { setRunTimeTimeout } from './run-time-timeout';
import type { LaunchKiloOptions } from './launch-kilo-options';
import { kiloAuthorization } from './kilo-authorization';

/** Options of {@link spawnKiloAgent}: the agent's own, plus every {@link LaunchKiloOptions} option. */
export interface SpawnKiloAgentOptions extends LaunchKiloOptions {
  /** The agent id viewers use in URLs. Required. */
  agentId: string;
  /** A first prompt, sent once the event stream is live. Default: none. */
  prompt?: string;
  /** The model for prompts (`{providerID, modelID}`). Default: kilo.json's `model`. */
  model?: KiloModelRef;
  /** The session title. A title also saves kilo's extra title-model request. Default `agent <agentId>`. */
  title?: string;
  /** kilo's project directory for events and session calls (`?directory=`). Default: kilo's cwd. */
  directory?: string;
  /** How long to wait for the event stream's `server.connected`, in time kilo could run (see `startTimeoutMs`). Default 10000 ms. */
  connectTimeoutMs?: number;
  /** History entries the agent retains. Default 10 000. */
  historySize?: number;
  /** More `kiloSessionEvents` options (reconnect policy, diagnostics). */
  events?: Omit<KiloSessionEventsOptions, 'directory' | 'password' | 'sessionId'>;
  /** Receives events the mapper could not handle. */
  onDiagnostic?: (d: ManagedAgentDiagnostic) => void;
}

/** A ManagedAgent backed by its own kilo serve process. */
export interface SpawnedKiloAgent {
  agent: ManagedAgent;
  kilo: KiloProcess;
  client: KiloSessionClient;
  sessionId: string;
  /** Sends another prompt to the session (with the configured model). */
  prompt(text: string): Promise<void>;
}

/** Misuse (bad options): a TypeError saying what to pass. */
const bad = (message: string) => new TypeError(`spawnKiloAgent: ${message}`);

/**
 * Launches a kilo serve (see {@link launchKilo}), creates a titled session, and builds a
 * ManagedAgent on its event stream whose exit is the process's exit and whose `stop()` stops
 * the process. The first `prompt` is sent only after the event stream delivered
 * `server.connected`, so no event of the turn is missed. Options are validated synchronously.
 *
 * ## Example
 * ```ts
 * const llm = await createFakeLlm({ turns: [{ text: 'Hello!' }] });
 * const { agent } = await spawnKiloAgent({ agentId: 'a1', prompt: 'Say hello', config: kiloConfigFor({ baseURL: llm.baseURL }) });
 * agent.events$.subscribe((e) => print(e.seq, e.type));
 * ```
 */
export function spawnKiloAgent(options: SpawnKiloAgentOptions): Promise<SpawnedKiloAgent> {
  if (!options || typeof options.agentId !== 'string' || options.agentId === '') throw bad('agentId must be a non-empty string');
  const { agentId, prompt, model, title, directory, connectTimeoutMs = 10_000, historySize, events, onDiagnostic, ...launch } = options;
  if (prompt !== undefined && typeof prompt !== 'string') throw bad('prompt must be a string');
  if (title !== undefined && typeof title !== 'string') throw bad('title must be a string');
  if (model !== undefined && (typeof model?.providerID !== 'string' || typeof model?.modelID !== 'string'))
    throw bad('model must be {providerID, modelID}');
  if (directory !== undefined && (typeof directory !== 'string' || directory === '')) throw bad('directory must be a non-empty string');
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0)
    throw new RangeError(`spawnKiloAgent: connectTimeoutMs must be > 0, got ${connectTimeoutMs}`);
  const launching = launchKilo(launch);

  return (async () => {
    const kilo = await launching;
    let agent: ManagedAgent | undefined;
    try {
      const client = createKiloSessionClient({ baseUrl: kilo.url, password: kilo.password, directory });
      const session = await client.createSession({ title: title ?? `agent ${agentId}` });
      let markConnected!: () => void;
      const connected = new Promise<void>((resolve) => (markConnected = resolve));
      // The session's events with kilo's log behind them: nothing lost across a reconnect.
      const upstream = kiloSessionEvents(kilo.url, { ...events, sessionId: session.id, directory, password: kilo.password }).pipe(
        tap((e) => e.type === 'server.connected' && markConnected()),
      );
      agent = createManagedAgent({
        agentId,
        sessionId: session.id,
        events: upstream,
        exit$: kilo.exit$,
        historySize,
        onDiagnostic,
        onStop: () => void kilo.stop().catch(() => undefined),
        // A person may prompt, abort and answer kilo's requests on the session's own routes.
        actions: createKiloActions({
          baseUrl: kilo.url,
          directory,
          authorization: kiloAuthorization(kilo.password),
          sessionId: () => session.id,
          model,
        }),
      });
      let cancel = () => {};
      const outcome = await Promise.race([
        connected.then(() => 'connected' as const),
        firstValueFrom(agent.exit$).then(() => 'exited' as const),
        new Promise<'timeout'>((resolve) => (cancel = setRunTimeTimeout(kilo.pid, connectTimeoutMs, () => resolve('timeout')))),
      ]).finally(() => cancel());
      if (outcome !== 'connected') {
        throw new KiloLaunchError(
          outcome === 'timeout' ? 'start_timeout' : 'early_exit',
          `spawnKiloAgent: the event stream of ${kilo.url} did not connect (${outcome})`,
        );
      }
      const send = (text: string) => client.promptAsync(session.id, text, model ? { model } : {});
      if (prompt !== undefined) await send(prompt);
      return { agent, kilo, client, sessionId: session.id, prompt: send };
    } catch (err) {
      agent?.stop();
      await kilo.stop();
      throw err;
    }
  })();
}
