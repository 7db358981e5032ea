import type { Observable, Subscription } from 'rxjs';
import type { SequencedAgentEvent } from '../protocol/agent-event';
import { command, type RedisConnection } from './redis-connection';

/**
 * Appends one entry only while the lease `KEYS[2]` holds the owner's token `ARGV[1]`: a deposed
 * owner (its lease expired and another node took it with a higher epoch) can never append.
 * Replies 1 appended, 0 fenced off.
 */
const FENCED_XADD = `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], ARGV[3], 'e', ARGV[4], 'p', ARGV[5])
return 1`;

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
  /**
   * Fencing: append only while the lease key `lease` holds `token` (what `holdLease` gave this
   * owner). Without it every event is appended (one owner, or the caller fences).
   */
  fence?: { lease: string; token: string };
  /** An append was refused because the lease no longer holds the token: nothing more is appended. Called once. */
  onFenced?: () => void;
  /**
   * An append failed (a Redis error, or the connection lost with it in flight): the stream lacks
   * that event, so nothing more is appended and this is called once (the owner is replaced by one
   * that rebuilds from kilo's log). Without it the failure is reported and publishing goes on.
   */
  onFailed?: (error: unknown) => void;
  onError?: (error: unknown) => void;
}

/**
 * Appends each event of an agent's upstream, once, to its Redis stream (the owner's half of the
 * fan-out): entry id `<seq>-0`, the event's JSON and the id before it. Commands go in order on
 * one connection. With `fence`, each append is one script that first checks the lease still
 * holds this owner's token (epoch and node): once another node took the lease, nothing more is
 * appended, `onFenced` is called and publishing stops — the new owner's ids are never served by
 * the old one (every node's viewers read the stream). Without it, an owner that lost the lease is
 * still refused ids below the new owner's. An append that fails leaves a hole no later entry
 * fills: with `onFailed`, publishing stops there and the caller replaces the owner.
 *
 * ## Example
 * ```ts
 * const sub = publishAgentEvents({
 *   redis, key: keys.events('a1'), events: upstream.events$, after: 0,
 *   fence: { lease: keys.lease('a1'), token }, onFenced: () => owner.drop(),
 * });
 * ```
 */
export function publishAgentEvents(options: PublishAgentEventsOptions): Subscription {
  const { redis, key, fence } = options;
  const maxLen = options.maxLen ?? 100_000;
  const onError = options.onError ?? (() => undefined);
  let prev = options.after;
  let stopped = false;
  const failed = (error: unknown) => {
    onError(error);
    if (stopped || !options.onFailed) return;
    stopped = true;
    subscription.unsubscribe();
    options.onFailed(error);
  };
  const subscription = options.events.subscribe((e) => {
    if (stopped) return;
    const entry = [`${e.seq}-0`, JSON.stringify(e), prev];
    prev = e.seq;
    if (!fence) {
      command(redis, ['XADD', key, 'MAXLEN', '~', maxLen, entry[0]!, 'e', entry[1]!, 'p', entry[2]!]).catch(failed);
      return;
    }
    command(redis, ['EVAL', FENCED_XADD, 2, key, fence.lease, fence.token, maxLen, ...entry]).then((appended) => {
      if (appended !== 0 || stopped) return;
      stopped = true;
      subscription.unsubscribe();
      options.onFenced?.();
    }, failed);
  });
  return subscription;
}
