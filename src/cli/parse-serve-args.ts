import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { readSecretFile } from './read-secret-file';
import { DEFAULT_FLUSH_INTERVAL_MS } from '../server/frame-batches';

/** The options of `agent-stream serve`. */
export interface ServeArgs {
  host: string;
  port: number;
  keepaliveMs: number;
  /** The frame window (`--flush-interval-ms`); 0: one write per viewer per event-loop turn. */
  flushIntervalMs: number;
  mode: 'demo' | 'kilo' | 'spawn';
  kiloUrl?: string;
  session?: string;
  agentId?: string;
  /** With `--spawn`: the OpenAI-compatible base URL the spawned kilo agents use. */
  llmUrl?: string;
  /** Grants watch, act and admin (`--token`, `--token-file`, else `AGENT_STREAM_TOKEN`). */
  token?: string;
  /** Grants watch only (`--watch-token`, `--watch-token-file`, else `AGENT_STREAM_WATCH_TOKEN`). */
  watchToken?: string;
  /** The token files read (absolute), hidden from spawned agents. */
  tokenFiles: string[];
  /** Where a token came from, for the warning about command lines: `flag` (`--token T`: every local user sees it in `ps`), `file` or `env`. */
  tokenSources: Array<'flag' | 'file' | 'env'>;
  /** With `--spawn`: run agents without the sandbox (`--unsafe-no-isolation`). */
  unsafeNoIsolation: boolean;
  /** With `--spawn`: the bubblewrap binary (`--bwrap PATH`). Default: `bwrap` on PATH, else kilo's bundled one. */
  bwrap?: string;
  /** With `--spawn`: whether the agents' tools may use the network (`--agent-network allow|deny`). Default `deny`. */
  agentNetwork: 'allow' | 'deny';
  /** Extra origins allowed to make state-changing requests (`--allow-origin`, repeatable). */
  allowOrigins: string[];
  /** Extra Host names allowed (`--allow-host`, repeatable). */
  allowHosts: string[];
  /** Concurrent connections at most. Default 10 000. */
  maxConnections: number;
  /** Open connections per client address (`--max-connections-per-address`). Default: half of maxConnections, at most 256. */
  maxConnectionsPerAddress?: number;
  /** Origins that may show the dashboard in a frame (`--allow-frame-origin`, repeatable); none by default. */
  allowFrameOrigins: string[];
  /** With `--spawn`: environment variables passed on to spawned kilo (`--kilo-env NAME`, repeatable). */
  kiloEnv: string[];
  /** With `--spawn`: agents running at once at most. Default 4. */
  maxAgents: number;
  /** With `--spawn`: the models `POST /agents` may ask for (`provider/model`, repeatable); none: any. */
  allowModels: string[];
  /** Share tickets, agents and streams with other servers through Redis (`--redis-url`, else `AGENT_STREAM_REDIS_URL`). */
  redisUrl?: string;
  /** This server's name among them (`--node-id`). Default: random. */
  nodeId?: string;
  /** With `--redis-url`: retained history entries per agent on this node (`--history-size`). Default 10 000. */
  historySize?: number;
  /** With `--redis-url`: more kilo URLs a record in Redis may name (`--allow-kilo-url`, repeatable); `--kilo-url` is always allowed. */
  allowKiloUrls: string[];
  /** Proxies whose `X-Forwarded-For` names the client (`--trust-proxy ADDRESS`, repeatable). */
  trustProxies: string[];
  /** Processes serving viewers on the shared port (`--workers N`, 1-64; node's cluster). Default 1: one process. */
  workers: number;
}

export const USAGE = `usage: agent-stream serve [--host 127.0.0.1] [--port 8080] [--keepalive-ms 15000] [--flush-interval-ms 16]
                          [--demo | --kilo-url URL [--session ID] [--agent-id ID] | --spawn [--llm-url URL]]
                          [--token-file F | --token T] [--watch-token-file F | --watch-token T]
                          [--allow-origin URL]... [--allow-host NAME]...
                          [--max-connections 10000] [--max-connections-per-address N] [--trust-proxy ADDRESS]...
                          [--allow-frame-origin URL]... [--workers 1]
                          [--redis-url redis://HOST:PORT [--node-id NAME] [--allow-kilo-url URL]... [--history-size N]]
                          [--kilo-env NAME]... [--max-agents 4] [--allow-model PROVIDER/MODEL]...   (with --spawn)
                          [--agent-network deny|allow] [--bwrap PATH] [--unsafe-no-isolation]   (with --spawn)
  --token (or --token-file, AGENT_STREAM_TOKEN) grants every action, --watch-token (or
  --watch-token-file, AGENT_STREAM_WATCH_TOKEN) only watching; a token is required beyond loopback
  and with --spawn (one is generated and printed when not given). Token files: mode 0600.
  --workers N (1-64) serves viewers from N processes on the same port (one per core); this
  process keeps the agents, tickets and limits. Not with --redis-url.
  --spawn runs each agent in a bubblewrap sandbox and refuses to start without one, unless
  --unsafe-no-isolation (agents can then read this server's secrets).`;

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

/**
 * Parses `serve` and its flags (`--flag value` or `--flag=value`); `env` supplies
 * `AGENT_STREAM_TOKEN`, `AGENT_STREAM_WATCH_TOKEN` and `AGENT_STREAM_REDIS_URL`; token files are
 * read with `readFile` (default: {@link readSecretFile}, which refuses a file others may read).
 */
export function parseServeArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
  readFile: (path: string) => string = readSecretFile,
): ServeArgs {
  const [command, ...rest] = argv;
  if (command !== 'serve') throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  const args: ServeArgs = {
    host: '127.0.0.1',
    port: 8080,
    keepaliveMs: 15_000,
    flushIntervalMs: DEFAULT_FLUSH_INTERVAL_MS,
    mode: 'demo',
    allowOrigins: [],
    allowHosts: [],
    maxConnections: 10_000,
    allowFrameOrigins: [],
    kiloEnv: [],
    maxAgents: 4,
    allowModels: [],
    trustProxies: [],
    allowKiloUrls: [],
    tokenFiles: [],
    tokenSources: [],
    unsafeNoIsolation: false,
    agentNetwork: 'deny',
    workers: 1,
  };
  const given = { token: 0, watchToken: 0 };
  const fromFile = (flag: string, path: string) => {
    const abs = isAbsolute(path) ? path : resolve(path);
    let text: string;
    try {
      text = readFile(abs);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
    const secret = text.replace(/\r?\n$/, '');
    if (secret === '' || /[\r\n]/.test(secret)) throw new UsageError(`${flag}: ${abs} must hold one line, the token`);
    args.tokenFiles.push(abs);
    return secret;
  };
  const need = (flag: string, v: string | undefined) => {
    if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
    return v;
  };
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
      case '--flush-interval-ms':
        args.flushIntervalMs = int('--flush-interval-ms', value(), 0, 1000);
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
      case '--token':
        args.token = need('--token', value());
        args.tokenSources.push('flag');
        given.token++;
        break;
      case '--token-file':
        args.token = fromFile('--token-file', need('--token-file', value()));
        args.tokenSources.push('file');
        given.token++;
        break;
      case '--watch-token':
        args.watchToken = need('--watch-token', value());
        args.tokenSources.push('flag');
        given.watchToken++;
        break;
      case '--watch-token-file':
        args.watchToken = fromFile('--watch-token-file', need('--watch-token-file', value()));
        args.tokenSources.push('file');
        given.watchToken++;
        break;
      case '--unsafe-no-isolation':
        args.unsafeNoIsolation = true;
        break;
      case '--bwrap':
        args.bwrap = need('--bwrap', value());
        break;
      case '--agent-network': {
        const v = value();
        if (v !== 'allow' && v !== 'deny') throw new UsageError('--agent-network needs allow or deny');
        args.agentNetwork = v;
        break;
      }
      case '--allow-origin':
      case '--allow-frame-origin': {
        const origin = need(flag, value());
        let parsed: URL;
        try {
          parsed = new URL(origin);
        } catch {
          throw new UsageError(`${flag} needs an origin like https://app.example.com`);
        }
        if (!/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, ''))
          throw new UsageError(`${flag} needs an origin (http(s)://host[:port]), no path`);
        (flag === '--allow-origin' ? args.allowOrigins : args.allowFrameOrigins).push(parsed.origin);
        break;
      }
      case '--allow-host':
        args.allowHosts.push(need('--allow-host', value()).toLowerCase());
        break;
      case '--max-connections':
        args.maxConnections = int('--max-connections', value(), 1, 1_000_000);
        break;
      case '--max-connections-per-address':
        args.maxConnectionsPerAddress = int('--max-connections-per-address', value(), 1, 1_000_000);
        break;
      case '--kilo-env': {
        const name = need('--kilo-env', value());
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError('--kilo-env needs an environment variable name');
        args.kiloEnv.push(name);
        break;
      }
      case '--max-agents':
        args.maxAgents = int('--max-agents', value(), 1, 1000);
        break;
      case '--allow-model': {
        const model = need('--allow-model', value());
        if (!/^[^/\s]+\/\S+$/.test(model)) throw new UsageError('--allow-model needs provider/model');
        args.allowModels.push(model);
        break;
      }
      case '--redis-url':
        args.redisUrl = need('--redis-url', value());
        break;
      case '--trust-proxy': {
        const address = need('--trust-proxy', value());
        if (isIP(address) === 0) throw new UsageError('--trust-proxy needs an IP address, e.g. 127.0.0.1');
        args.trustProxies.push(address);
        break;
      }
      case '--allow-kilo-url': {
        const url = need('--allow-kilo-url', value());
        if (!/^https?:\/\/[^\s@?#]+$/.test(url) || !URL.canParse(url))
          throw new UsageError('--allow-kilo-url needs an http(s) URL like http://10.0.0.5:4096');
        args.allowKiloUrls.push(url);
        break;
      }
      case '--workers':
        args.workers = int('--workers', value(), 1, 64);
        break;
      case '--node-id':
        args.nodeId = need('--node-id', value());
        break;
      case '--history-size':
        args.historySize = int('--history-size', value(), 1, 10_000_000);
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
  if (given.token > 1) throw new UsageError('give one of --token, --token-file');
  if (given.watchToken > 1) throw new UsageError('give one of --watch-token, --watch-token-file');
  if (args.token === undefined && env.AGENT_STREAM_TOKEN) {
    args.token = env.AGENT_STREAM_TOKEN;
    args.tokenSources.push('env');
  }
  if (args.watchToken === undefined && env.AGENT_STREAM_WATCH_TOKEN) {
    args.watchToken = env.AGENT_STREAM_WATCH_TOKEN;
    args.tokenSources.push('env');
  }
  args.redisUrl ??= env.AGENT_STREAM_REDIS_URL || undefined;
  if (args.redisUrl !== undefined) {
    if (!/^(rediss?|redis\+sentinel):\/\/[^\s]+$/.test(args.redisUrl))
      throw new UsageError('--redis-url needs a URL like redis://127.0.0.1:6379 (or redis+sentinel://HOST:26379,…/MASTER)');
  }
  if (args.workers > 1 && args.redisUrl !== undefined)
    throw new UsageError('--workers goes without --redis-url (run one server per core, each with --redis-url, instead)');
  if (args.allowKiloUrls.length > 0 && args.redisUrl === undefined) throw new UsageError('--allow-kilo-url goes with --redis-url');
  if (args.historySize !== undefined && args.redisUrl === undefined) throw new UsageError('--history-size goes with --redis-url');
  if (args.nodeId !== undefined) {
    if (args.redisUrl === undefined) throw new UsageError('--node-id goes with --redis-url');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(args.nodeId)) throw new UsageError('--node-id needs a name of A-Z a-z 0-9 . _ -');
  }
  if (args.token !== undefined && args.token === args.watchToken) throw new UsageError('--watch-token must differ from --token');
  for (const t of [args.token, args.watchToken]) {
    if (t !== undefined && t.length < 16) throw new UsageError('tokens need at least 16 characters');
  }
  const spawnOnly =
    args.kiloEnv.length > 0 ||
    args.allowModels.length > 0 ||
    args.unsafeNoIsolation ||
    args.bwrap !== undefined ||
    rest.some((r) => r.startsWith('--max-agents') || r.startsWith('--agent-network'));
  if (spawnOnly && args.mode !== 'spawn')
    throw new UsageError('--kilo-env, --max-agents, --allow-model, --agent-network, --bwrap and --unsafe-no-isolation go with --spawn');
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
