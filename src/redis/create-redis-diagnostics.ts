import type { z } from 'zod';
import { describeIssues } from '../protocol/agent-event-schema';
import { silentLogger, type Logger } from '../server/logger';

/** What was read from Redis and did not pass its schema (the label of `agent_stream_redis_invalid_entries_total`). */
export type RedisInvalidKind =
  /** An agent id of the agents set, or an agent's record. */
  | 'record'
  /** A record whose kilo URL this node's configuration does not allow (`allowKiloUrls`). */
  | 'kilo_url'
  /** An entry of an agent's event stream. */
  | 'event'
  /** An agent's snapshot, or an entry of it. */
  | 'snapshot'
  /** An entry of an agent's owner-command stream, or a message of the relay channel. */
  | 'command'
  /** A ticket read back. */
  | 'ticket'
  /** A node's viewer counts, or a node name of the viewer-nodes set. */
  | 'viewers'
  /** A reply of Redis of an unexpected shape (a lease step, a claim, a stream's last id…). */
  | 'reply';

/** One invalid thing read from Redis, skipped. `key` names where it was; its value is never included. */
export interface RedisInvalidEntry {
  type: 'redis_invalid';
  kind: RedisInvalidKind;
  key: string;
  issue: string;
}

export interface RedisDiagnosticsOptions {
  /** Each skipped entry is logged with `warn` (key and what is wrong, never the value). */
  logger?: Logger;
  /** Each skipped entry, for a caller's own handling. */
  onDiagnostic?: (entry: RedisInvalidEntry) => void;
}

/** Where a node reports what it read from Redis and refused; counts per kind for the metrics. */
export interface RedisDiagnostics {
  /** Reports one skipped entry. */
  invalid(kind: RedisInvalidKind, key: string, issue: string): void;
  /** `value` parsed by `schema`, or `undefined` after reporting it as `kind` at `key`. */
  check<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, kind: RedisInvalidKind, key: string): T | undefined;
  /** Entries skipped so far, per kind. */
  readonly invalidEntries: ReadonlyMap<RedisInvalidKind, number>;
}

/** Thrown by a Redis step whose reply had an unexpected shape; the cluster reports it as `kind` `reply`. */
export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError';
  readonly code = 'redis_reply';
  constructor(
    readonly key: string,
    readonly issue: string,
  ) {
    super(`unexpected Redis reply for ${JSON.stringify(key)}: ${issue}`);
  }
}

/**
 * Counts and reports what a node refused to read from Redis: nothing read from Redis is trusted
 * (docs/security.md); an entry that does not pass its schema is skipped and reported here, and
 * everything else goes on. Keys are quoted as JSON in the log (an id may hold line breaks).
 *
 * ## Example
 * ```ts
 * const diagnostics = createRedisDiagnostics({ logger });
 * const record = diagnostics.check(agentRecordSchema, JSON.parse(text), 'record', key);
 * if (record) ensure(record);
 * ```
 */
export function createRedisDiagnostics(options: RedisDiagnosticsOptions = {}): RedisDiagnostics {
  const logger = options.logger ?? silentLogger;
  const counts = new Map<RedisInvalidKind, number>();
  const invalid = (kind: RedisInvalidKind, key: string, issue: string) => {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    logger.warn(`redis: skipped an invalid ${kind} at ${JSON.stringify(key)}: ${issue}`);
    options.onDiagnostic?.({ type: 'redis_invalid', kind, key, issue });
  };
  return {
    invalid,
    check(schema, value, kind, key) {
      const r = schema.safeParse(value);
      if (r.success) return r.data;
      invalid(kind, key, describeIssues(r.error));
      return undefined;
    },
    invalidEntries: counts,
  };
}
