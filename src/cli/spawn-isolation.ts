import { createKiloSandbox, type KiloSandbox } from '../kilo/kilo-sandbox';
import { probeKiloSandbox } from '../kilo/probe-kilo-sandbox';
import { resolveKiloBinary } from '../kilo/resolve-kilo-binary';
import type { Logger } from '../server/logger';

/** What `--spawn` isolates agents with, from the `serve` flags. */
export interface SpawnIsolationArgs {
  unsafeNoIsolation: boolean;
  /** `--bwrap PATH`. */
  bwrap?: string;
  /** Token files, hidden inside the sandbox. */
  tokenFiles: string[];
}

/**
 * The sandbox every agent of `--spawn` runs in ({@link createKiloSandbox}), once a probe showed it
 * works on this machine; with `--unsafe-no-isolation`, none (and a warning). When no sandbox works
 * it throws, saying why and what to do: `--spawn` does not start agents that could read the
 * server's secrets unless the operator said so.
 *
 * ## Example
 * ```ts
 * const sandbox = await resolveSpawnIsolation({ unsafeNoIsolation: false, tokenFiles: [] }, logger);
 * ```
 */
export async function resolveSpawnIsolation(
  args: SpawnIsolationArgs,
  logger: Logger,
  kiloBinaryPath: string | undefined = resolveKiloBinary(),
): Promise<KiloSandbox | undefined> {
  if (args.unsafeNoIsolation) {
    logger.warn(
      "agent-stream: --unsafe-no-isolation: spawned agents run with this server's user rights, unconfined: their tools can read its environment, command line and files (tokens included)",
    );
    return undefined;
  }
  const refuse = (why: string): never => {
    throw new Error(
      `--spawn runs every agent in a bubblewrap sandbox, and none works here: ${why}. ` +
        'Install bubblewrap (Debian: apt-get install bubblewrap) and allow user namespaces, or pass --bwrap PATH; ' +
        "--unsafe-no-isolation runs agents unconfined (they can then read this server's secrets).",
    );
  };
  if (!kiloBinaryPath) return refuse('no kilo binary found (install @kilocode/cli or set KILO_BIN_PATH)');
  const sandbox = createKiloSandbox({ bwrapPath: args.bwrap, kiloBinaryPath, hidePaths: args.tokenFiles });
  const probe = await probeKiloSandbox(sandbox, kiloBinaryPath);
  if (!probe.available) return refuse(probe.reason);
  logger.info(
    `agent-stream: agents run sandboxed (${sandbox.bwrapPath}, own PID and mount namespaces${sandbox.uid !== undefined ? `, uid ${sandbox.uid}` : ''})`,
  );
  return sandbox;
}
