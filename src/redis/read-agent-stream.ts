import { Observable } from 'rxjs';
import type { SequencedAgentEvent } from '../protocol/agent-event';
import { sequencedAgentEventSchema } from '../protocol/agent-event-schema';
import { createRedisDiagnostics, type RedisDiagnostics } from './create-redis-diagnostics';
import { openRedisUntil } from './open-redis-until';
import { command, duplicateRedis, type RedisConnection, type RedisReply } from './redis-connection';
import { entryFieldsSchema, entryIdSchema, jsonText, snapshotSchema } from './redis-schemas';

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
  /** Where entries that do not pass their schema are reported (they are skipped). Default: counted, not logged. */
  diagnostics?: RedisDiagnostics;
  /**
   * Called with a snapshot's `droppedSeq` (what the owner's bounds had dropped) before its entries
   * are emitted: the reader's history takes it (`history.noteDropped`) to answer `gap` as the owner does.
   */
  onDropped?: (droppedSeq: number) => void;
}

/** The retained state an owner writes (see `writeAgentSnapshot`). */
export interface AgentSnapshot {
  /** The newest id the state covers. */
  latestSeq: number;
  /** The id of the oldest retained entry (0 when empty); absent in snapshots of older versions. */
  oldestSeq?: number;
  /** The highest id the owner's history bounds had dropped (0 when none): a resume below it has a gap. */
  droppedSeq?: number;
  /** The retained entries, oldest first (text and reasoning with their whole text). */
  entries: SequencedAgentEvent[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The entries of `key` in an XREAD reply, RESP2 (`[[key, entries]]`) or RESP3 (`{key: entries}`). */
function entriesOf(reply: RedisReply | Record<string, RedisReply>, key: string): unknown[] {
  if (reply === null || typeof reply !== 'object') return [];
  const found = Array.isArray(reply)
    ? (reply.find((r) => Array.isArray(r) && r[0] === key) as RedisReply[] | undefined)?.[1]
    : (reply as Record<string, RedisReply>)[key];
  return Array.isArray(found) ? found : [];
}

/** An entry's id and fields (`[id, [name, value, …]]`), or undefined for another shape. */
function entryOf(entry: unknown): { id: string; fields: Record<string, string> } | undefined {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) return undefined;
  const list = entry[1] as unknown[];
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) if (typeof list[i] === 'string') fields[list[i] as string] = String(list[i + 1]);
  return { id: entry[0], fields };
}

/**
 * Reads one agent's events from Redis, for a node's replica of it: first the owner's snapshot
 * (the retained state), then the stream after it, live, with ONE blocking connection. An entry
 * whose predecessor (`p`) was never read means entries were trimmed before this node read them:
 * the snapshot is read again and its newer state emitted (whole texts: a viewer converges). A
 * lost connection is retried; the stream goes on from the last id read. Nothing read is trusted:
 * an entry (or snapshot entry) that is not an event of the protocol is skipped and reported to
 * `diagnostics`, and the stream goes on after it.
 *
 * ## Example
 * ```ts
 * readAgentStream({ redis, events: keys.events('a1'), snapshot: keys.snapshot('a1') }).subscribe((e) => history.push(e));
 * ```
 */
export function readAgentStream(options: ReadAgentStreamOptions): Observable<SequencedAgentEvent> {
  const blockMs = options.blockMs ?? 2000;
  const onError = options.onError ?? (() => undefined);
  const diagnostics = options.diagnostics ?? createRedisDiagnostics();
  return new Observable<SequencedAgentEvent>((subscriber) => {
    let active = true;
    let conn: RedisConnection | undefined;
    let after = 0;
    /** The last entry id read (valid or not): the next read starts after it. */
    let cursor = '0-0';
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
      if (text === null) return;
      const snap = diagnostics.check(jsonText(snapshotSchema), text, 'snapshot', options.snapshot);
      if (!snap || snap.latestSeq <= after) return;
      if (snap.droppedSeq) options.onDropped?.(snap.droppedSeq);
      let skipped = 0;
      for (const entry of snap.entries) {
        const e = sequencedAgentEventSchema.safeParse(entry);
        if (e.success && e.data.seq <= snap.latestSeq) emit(e.data);
        else skipped++;
      }
      if (skipped > 0) diagnostics.invalid('snapshot', options.snapshot, `${skipped} of its ${snap.entries.length} entries are not events`);
      after = Math.max(after, snap.latestSeq);
    };
    /** One stream entry: emitted when it is an event, else reported and skipped. */
    const read = async (c: RedisConnection, raw: unknown) => {
      const entry = entryOf(raw);
      if (!entry) return diagnostics.invalid('event', options.events, 'an entry of another shape');
      cursor = entry.id;
      const where = `${options.events} ${entry.id}`;
      const seq = diagnostics.check(entryIdSchema, entry.id, 'event', where);
      const fields = seq === undefined ? undefined : diagnostics.check(entryFieldsSchema, entry.fields, 'event', where);
      if (seq === undefined || !fields) return;
      if ((fields.p ?? 0) > after) await catchUp(c);
      emit({ ...fields.e, seq } as SequencedAgentEvent);
    };
    const run = async () => {
      // The blocking connection and the first catch-up, retried like the reads: a replica never gives up.
      const open = async () => {
        const c = await duplicateRedis(options.redis, onError);
        try {
          await catchUp(c);
        } catch (err) {
          c.destroy();
          throw err;
        }
        return c;
      };
      conn = await openRedisUntil(open, () => active, onError);
      if (!conn) return;
      cursor = `${after}-0`;
      while (active) {
        try {
          const reply = await command(conn, ['XREAD', 'COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', options.events, cursor]);
          for (const entry of entriesOf(reply, options.events)) if (active) await read(conn, entry);
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
