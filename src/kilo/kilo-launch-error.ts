/** Why a kilo serve process could not be launched. */
export type KiloLaunchErrorCode =
  /** The process could not be spawned at all (binary missing, not executable…). */
  | 'spawn_failed'
  /** The process exited before it answered `GET /global/health`. */
  | 'early_exit'
  /** It did not answer `GET /global/health` within `startTimeoutMs`; it was killed. */
  | 'start_timeout';

/** The typed error of {@link launchKilo}. */
export class KiloLaunchError extends Error {
  override readonly name = 'KiloLaunchError';
  constructor(
    readonly code: KiloLaunchErrorCode,
    message: string,
    /** The last few KiB kilo wrote to stderr (and stdout), for diagnosis. */
    readonly stderrTail = '',
    /** The exit code (128 + signal number for a signal) when the process ended. */
    readonly exitCode?: number | null,
  ) {
    super(stderrTail ? `${message}\n--- kilo output (tail) ---\n${stderrTail}` : message);
  }
}
