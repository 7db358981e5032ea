import type { EventHistory } from '../agent/create-event-history';
import { command, type RedisConnection } from './redis-connection';
import type { AgentSnapshot } from './read-agent-stream';

/** What a snapshot is made of: the retained entries and the history's bounds. */
export type SnapshotHistory = Pick<EventHistory, 'entries' | 'latestSeq' | 'oldestSeq' | 'droppedSeq'>;

/**
 * Writes an agent's retained state as its snapshot (what a node that starts reading the stream
 * later begins from), then trims the stream before the previous snapshot: a reader that read
 * that one still finds every entry after it. The snapshot carries the history's bounds — its
 * oldest retained id and the highest id the bounds dropped — so a replica started from it answers
 * a resume with the same `gap` as the owner (docs/protocol.md §3). Returns the id it covers.
 *
 * ## Example
 * ```ts
 * let covered = 0;
 * covered = await writeAgentSnapshot(redis, { events: keys.events('a1'), snapshot: keys.snapshot('a1') }, replica.history, covered);
 * ```
 */
export async function writeAgentSnapshot(
  redis: RedisConnection,
  keys: { events: string; snapshot: string },
  history: SnapshotHistory,
  previous: number,
): Promise<number> {
  const snap: AgentSnapshot = {
    latestSeq: history.latestSeq,
    oldestSeq: history.oldestSeq,
    droppedSeq: history.droppedSeq,
    entries: [...history.entries()].map((e) => e.event),
  };
  await command(redis, ['SET', keys.snapshot, JSON.stringify(snap)]);
  if (previous > 0) await command(redis, ['XTRIM', keys.events, 'MINID', `${previous + 1}-0`]);
  return snap.latestSeq;
}
