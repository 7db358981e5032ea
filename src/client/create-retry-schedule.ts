import { computeBackoffDelay, type BackoffOptions } from './compute-backoff-delay';

/** Inputs of {@link createRetrySchedule}. */
export interface RetryScheduleOptions extends BackoffOptions {
  /** Consecutive failures allowed; `Infinity`: never give up. */
  maxRetries: number;
  /** Immediate retries start at most this often, ms (else the backoff applies). Default 1000. */
  immediateMinGapMs?: number;
}

/** A failed attempt, as {@link RetrySchedule.next} weighs it. */
export interface RetryFailure {
  /**
   * The failure ended a live connection (one that delivered new events or stayed open long
   * enough): the count starts again, and the first retry goes at once.
   */
  afterLive: boolean;
  /** The server's `Retry-After`, ms: the wait is at least this (capped at `maxDelayMs`). */
  retryAfterMs?: number;
  /** The clock, epoch ms. */
  now: number;
}

/** The client's retry count and waits; see {@link createRetrySchedule}. */
export interface RetrySchedule {
  /** Consecutive failures so far (the `attempt` the client reports). */
  readonly failures: number;
  /** Records a failure; returns the wait before the next attempt (0: now), or `null` when `maxRetries` are spent. */
  next(failure: RetryFailure): number | null;
}

/**
 * When the browser client tries again. After a live connection drops (its node died, a deploy, a
 * proxy's cut) the first retry goes **at once**: behind a load balancer that retries ticket
 * requests on the next node, a viewer is live again within a round trip instead of a backoff.
 * If that retry fails too, the waits are the usual jittered backoff from its start
 * (`computeBackoffDelay` from attempt 0: 250 ms, 250–500 ms, … capped at `maxDelayMs`), so a
 * long outage costs one request more than without the immediate try, never a loop: immediate
 * retries start at most once per `immediateMinGapMs` (a stream that delivers one event and drops,
 * again and again, backs off). A failure that does not follow a live connection keeps growing
 * the backoff. `Retry-After` is honoured.
 *
 * ## Example
 * ```ts
 * const schedule = createRetrySchedule({ minDelayMs: 250, maxDelayMs: 30_000, random: Math.random, maxRetries: Infinity });
 * schedule.next({ afterLive: true, now: Date.now() }); // 0: at once
 * schedule.next({ afterLive: false, now: Date.now() }); // 250
 * schedule.next({ afterLive: false, now: Date.now() }); // 250..500
 * ```
 */
export function createRetrySchedule(options: RetryScheduleOptions): RetrySchedule {
  const gap = options.immediateMinGapMs ?? 1000;
  let failures = 0;
  /** Whether the current streak of failures began with an immediate retry. */
  let immediateStreak = false;
  let lastImmediateAt = -Infinity;
  return {
    get failures() {
      return failures;
    },
    next({ afterLive, retryAfterMs, now }) {
      if (afterLive) {
        failures = 0;
        immediateStreak = false;
      }
      failures++;
      if (failures > options.maxRetries) return null;
      let delayMs: number;
      if (afterLive && now - lastImmediateAt >= gap) {
        lastImmediateAt = now;
        immediateStreak = true;
        delayMs = 0;
      } else {
        delayMs = computeBackoffDelay(failures - 1 - (immediateStreak ? 1 : 0), options);
      }
      if (retryAfterMs !== undefined) delayMs = Math.min(options.maxDelayMs, Math.max(delayMs, retryAfterMs));
      return delayMs;
    },
  };
}
