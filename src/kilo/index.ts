// agent-stream/kilo: kilo serve itself — running real agents (the launcher, the session client,
// spawning) and, as in the core entry, consuming one (kiloEvents, kiloSessionEvents, its actions).
export { launchKilo, type KiloProcess } from './launch-kilo';
export type { LaunchKiloOptions } from './launch-kilo-options';
export { KiloLaunchError, type KiloLaunchErrorCode } from './kilo-launch-error';
export { createKiloSessionClient, type KiloSessionClient, type KiloSessionClientOptions, type KiloModelRef } from './kilo-session-client';
export { KiloClientError, type KiloClientErrorCode } from './kilo-client-error';
export { spawnKiloAgent, type SpawnKiloAgentOptions, type SpawnedKiloAgent } from './spawn-kilo-agent';
export { resolveKiloBinary } from './resolve-kilo-binary';
export { kiloEvents, type KiloEventsOptions, type KiloDiagnostic } from './kilo-events';
export type { FetchLike as KiloFetchLike, FetchLikeResponse as KiloFetchLikeResponse } from './open-event-stream';
export { kiloSessionEvents, type KiloSessionEventsOptions, type KiloRefillDiagnostic } from './kilo-session-events';
export { createKiloActions, type KiloActionsOptions } from './create-kilo-actions';
export { fetchKiloLog, fetchKiloSessionStatus, fetchKiloPendingRequests, KiloHttpError, type KiloHttp } from './fetch-kilo-log';
export { createKiloSandbox, type KiloSandbox, type KiloSandboxOptions } from './kilo-sandbox';
export { probeKiloSandbox, type KiloSandboxProbe } from './probe-kilo-sandbox';
