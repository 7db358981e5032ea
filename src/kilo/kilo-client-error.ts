/** Why a kilo serve HTTP call failed. */
export type KiloClientErrorCode =
  /** kilo answered with a non-2xx status (`status`, `body`). */
  | 'http_error'
  /** No answer: connection refused or reset, DNS… */
  | 'network_error'
  /** No answer within `timeoutMs`. */
  | 'timeout'
  /** A 2xx answer whose body is not what the route promises. */
  | 'invalid_response';

/** The typed error of the kilo session client. */
export class KiloClientError extends Error {
  override readonly name = 'KiloClientError';
  constructor(
    readonly code: KiloClientErrorCode,
    message: string,
    /** The HTTP status, for `http_error` and `invalid_response`. */
    readonly status?: number,
    /** The response body (cut to 2000 characters), for `http_error` and `invalid_response`. */
    readonly body?: string,
  ) {
    super(message);
  }
}
