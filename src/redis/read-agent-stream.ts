import { Observable } from 'rxjs';
import type { SequencedAgentEvent } from '../protocol/agent-event';
import { command, duplicateRedis, type RedisConnection, type RedisReply } from './redis-connection';

export interface ReadAgentStreamOptions {
  /** A connected client; the reader opens its own blocking connection from it. */
  redis: RedisConnection;
  /** The agent's stream and snapshot keys (see `redisKeys`). */
  events: string;
  snapshot: string;
  /** How long one blocking read waits. Default 2000 ms. */
  blockMs?: number;
  /** Redis errors; the reader retries after a pause. */
  onError?: (error: unknown) => void;
}

/** The retained state an owner writes (see `writeAgentSnapshot`). */
export interface AgentSnapshot {
  /** The newest id the state covers. */
  latestSeq: number;
  /** The retained entries, oldest first (text and reasoning with their whole text). */
  entries: SequencedAgentEvent[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The entries of `key` in an XREAD reply, RESP2 (`[[key, entries]]`) or RESP3 (`{key: entries}`). */
function entriesOf(reply: RedisReply | Record<string, RedisReply>, key: string): [string, RedisReply[]][] {
  if (reply === null || typeof reply !== 'object') return [];
  if (Array.isArray(reply)) {
    const found = reply.find((r) => Array.isArray(r) && r[0] === key) as [string, [string, RedisReply[]][]] | undefined;
    return found?.[1] ?? [];
  }
  return ((reply as Record<string, RedisReply>)[key] ?? []) as [string, RedisReply[]][];
}

/**
 * Reads one agent's events from Redis, for a node's replica of it: first the owner's snapshot
 * (the retained state), then the stream after it, live, with ONE blocking connection. An entry
 * whose predecessor (`p`) was never read means entries were trimmed before this node read them:
 * the snapshot is read again and its newer state emitted (whole texts: a viewer converges). A
 * lost connection is retried; the stream goes on from the last id read.
 *
 * ## Example
 * ```ts
 * readAgentStream({ redis, events: keys.events('a1'), snapshot: keys.snapshot('a1') }).subscribe((e) => history.push(e));
 * ```
 */
export function readAgentStream(options: ReadAgentStreamOptions): Observable<SequencedAgentEvent> {
  const blockMs = options.blockMs ?? 2000;
  const onError = options.onError ?? (() => undefined);
  return new Observable<SequencedAgentEvent>((subscriber) => {
    let active = true;
    let conn: RedisConnection | undefined;
    let after = 0;
    const emit = (e: SequencedAgentEvent) => {
      if (!active || e.seq <= after) return;
      after = e.seq;
      subscriber.next(e);
      if (e.type === 'exit') {
        active = false;
        subscriber.complete();
      }
    };
    const catchUp = async (c: RedisConnection) => {
      const text = await command(c, ['GET', options.snapshot]);
      if (typeof text !== 'string') return;
      const snap = JSON.parse(text) as AgentSnapshot;
      if (snap.latestSeq <= after) return;
      for (const e of snap.entries) emit(e);
      after = Math.max(after, snap.latestSeq);
    };
    const run = async () => {
      conn = await duplicateRedis(options.redis, onError);
      if (!active) return conn.destroy();
      await catchUp(conn);
      while (active) {
        try {
          const reply = await command(conn, ['XREAD', 'COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', options.events, `${after}-0`]);
          for (const [id, fields] of entriesOf(reply, options.events)) {
            const f = new Map<string, string>();
            for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), String(fields[i + 1]));
            const prev = Number(f.get('p') ?? 0);
            if (prev > after) await catchUp(conn);
            const seq = Number.parseInt(id, 10);
            emit({ ...(JSON.parse(f.get('e') ?? '{}') as SequencedAgentEvent), seq });
          }
        } catch (err) {
          if (!active) return;
          onError(err);
          await sleep(250);
        }
      }
    };
    run().catch((err: unknown) => {
      if (active) subscriber.error(err);
    });
    return () => {
      active = false;
      conn?.destroy();
    };
  });
}
