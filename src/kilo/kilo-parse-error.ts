/** Why one `data` payload from kilo serve could not be turned into a {@link KiloEvent}. */
export type KiloParseErrorCode = 'invalid_json' | 'invalid_shape';

/** A typed parse failure: counted and skipped by the consumer, never fatal. */
export class KiloParseError extends Error {
  override readonly name = 'KiloParseError';
  constructor(
    readonly code: KiloParseErrorCode,
    message: string,
    /** The offending payload, cut to 200 characters. */
    readonly data: string,
  ) {
    super(message);
  }
}
