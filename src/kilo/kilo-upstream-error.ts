/** Why the kilo serve upstream was given up. */
export type KiloUpstreamErrorCode = 'upstream_lost';

/** The typed error `kiloEvents` ends with when its retry policy gives up. */
export class KiloUpstreamError extends Error {
  override readonly name = 'KiloUpstreamError';
  constructor(
    readonly code: KiloUpstreamErrorCode,
    message: string,
    /** The last connection error seen, if any. */
    readonly lastError?: { message?: string; code?: number },
  ) {
    super(message);
  }
}
