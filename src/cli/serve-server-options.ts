import type { ControlServerOptions } from '../server/create-control-server';
import type { TokenAuth } from '../server/create-token-auth';
import type { ClientAddress } from '../server/client-address';
import type { Logger } from '../server/logger';
import type { ServeArgs } from './parse-serve-args';

/** The control server's options that come from `serve`'s flags and its token auth. */
export type ServeServerOptions = Pick<
  ControlServerOptions,
  | 'host'
  | 'port'
  | 'keepaliveMs'
  | 'flushIntervalMs'
  | 'logger'
  | 'authorize'
  | 'login'
  | 'identify'
  | 'allowHosts'
  | 'allowOrigins'
  | 'maxConnections'
  | 'maxConnectionsPerAddress'
  | 'allowFrameOrigins'
  | 'trustedProxies'
  | 'clientAddress'
>;

/**
 * The part of the control server's options that `serve` builds from its flags, the same in one
 * process and in each `--workers` worker (which add their own cluster, tickets and limits).
 *
 * ## Example
 * ```ts
 * const server = createControlServer({ cluster, ...serveServerOptions(args, auth, log, clientAddress) });
 * ```
 */
export function serveServerOptions(
  args: ServeArgs,
  auth: TokenAuth,
  logger: Logger,
  clientAddress: ClientAddress | undefined,
): ServeServerOptions {
  return {
    host: args.host,
    port: args.port,
    keepaliveMs: args.keepaliveMs,
    flushIntervalMs: args.flushIntervalMs,
    logger,
    authorize: auth.authorize,
    login: auth.login,
    identify: auth.identify,
    allowHosts: args.allowHosts,
    allowOrigins: args.allowOrigins,
    maxConnections: args.maxConnections,
    maxConnectionsPerAddress: args.maxConnectionsPerAddress,
    allowFrameOrigins: args.allowFrameOrigins,
    trustedProxies: args.trustProxies,
    clientAddress,
  };
}
