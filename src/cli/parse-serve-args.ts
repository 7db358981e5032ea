/** The options of `agent-stream serve`. */
export interface ServeArgs {
  host: string;
  port: number;
  keepaliveMs: number;
  mode: 'demo' | 'kilo' | 'spawn';
  kiloUrl?: string;
  session?: string;
  agentId?: string;
  /** With `--spawn`: the OpenAI-compatible base URL the spawned kilo agents use. */
  llmUrl?: string;
}

export const USAGE = `usage: agent-stream serve [--host 127.0.0.1] [--port 8080] [--keepalive-ms 15000]
                          [--demo | --kilo-url URL [--session ID] [--agent-id ID] | --spawn [--llm-url URL]]`;

/** Thrown for a command line that does not parse; the CLI prints it with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'usage';
}

const int = (flag: string, v: string | undefined, min: number, max: number) => {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`${flag} needs an integer from ${min} to ${max}`);
  return Number(v);
};

/** Parses `serve` and its flags (`--flag value` or `--flag=value`). */
export function parseServeArgs(argv: string[]): ServeArgs {
  const [command, ...rest] = argv;
  if (command !== 'serve') throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  const args: ServeArgs = { host: '127.0.0.1', port: 8080, keepaliveMs: 15_000, mode: 'demo' };
  const modes = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? rest[++i];
    switch (flag) {
      case '--host':
        args.host = value() ?? '';
        if (!args.host) throw new UsageError('--host needs a value');
        break;
      case '--port':
        args.port = int('--port', value(), 0, 65535);
        break;
      case '--keepalive-ms':
        args.keepaliveMs = int('--keepalive-ms', value(), 1, 3_600_000);
        break;
      case '--demo':
        modes.add('demo');
        break;
      case '--spawn':
        modes.add('spawn');
        break;
      case '--kilo-url':
        modes.add('kilo');
        args.kiloUrl = value();
        break;
      case '--session':
        args.session = value();
        break;
      case '--agent-id':
        args.agentId = value();
        break;
      case '--llm-url':
        args.llmUrl = value();
        break;
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  if (modes.size > 1) throw new UsageError('choose one of --demo, --kilo-url, --spawn');
  args.mode = (modes.values().next().value as ServeArgs['mode'] | undefined) ?? 'demo';
  if (args.mode === 'kilo') {
    try {
      new URL(args.kiloUrl ?? '');
    } catch {
      throw new UsageError('--kilo-url needs a URL');
    }
  }
  for (const [flag, v] of [
    ['--session', args.session],
    ['--agent-id', args.agentId],
  ] as const) {
    if (v !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(v)) throw new UsageError(`${flag} needs an id of A-Z a-z 0-9 . _ -`);
  }
  if (args.mode !== 'kilo' && (args.session || args.agentId)) throw new UsageError('--session and --agent-id go with --kilo-url');
  if (args.llmUrl !== undefined) {
    if (args.mode !== 'spawn') throw new UsageError('--llm-url goes with --spawn');
    try {
      new URL(args.llmUrl);
    } catch {
      throw new UsageError('--llm-url needs a URL');
    }
  }
  return args;
}
