import type { Observable, Subscription } from 'rxjs';
import type { SequencedAgentEvent } from '../protocol/agent-event';
import { command, type RedisConnection } from './redis-connection';

export interface PublishAgentEventsOptions {
  redis: RedisConnection;
  /** The agent's stream key. */
  key: string;
  /** The upstream agent's events (its ids are above every id in the stream). */
  events: Observable<SequencedAgentEvent>;
  /** The stream's last id when publishing starts (0 for none): each entry names the one before it. */
  after: number;
  /** Entries kept at most (approximately) besides the snapshot trimming. Default 100 000. */
  maxLen?: number;
  onError?: (error: unknown) => void;
}

/**
 * Appends each event of an agent's upstream, once, to its Redis stream (the owner's half of the
 * fan-out): entry id `<seq>-0`, the event's JSON and the id before it. Commands go in order on
 * one connection; a node that lost the lease and still writes is refused by Redis (its ids are
 * below the new owner's), so two owners never interleave.
 *
 * ## Example
 * ```ts
 * const sub = publishAgentEvents({ redis, key: keys.events('a1'), events: upstream.events$, after: 0 });
 * ```
 */
export function publishAgentEvents(options: PublishAgentEventsOptions): Subscription {
  const { redis, key } = options;
  const maxLen = options.maxLen ?? 100_000;
  const onError = options.onError ?? (() => undefined);
  let prev = options.after;
  return options.events.subscribe((e) => {
    command(redis, ['XADD', key, 'MAXLEN', '~', maxLen, `${e.seq}-0`, 'e', JSON.stringify(e), 'p', prev]).catch(onError);
    prev = e.seq;
  });
}
