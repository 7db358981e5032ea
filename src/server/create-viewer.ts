import { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { AgentEventType } from '../protocol/agent-event';
import type { HistoryEntry } from '../agent/create-event-history';

/** One open stream. Plain data: a thousand idle viewers cost a thousand small records. */
export interface Viewer {
  readonly res: ServerResponse;
  /**
   * Where live frames and keepalives go: the socket itself when `res` is a plain `ServerResponse`
   * (its body is raw, so the bytes are the same, without the response's work per write), else
   * `res` (a response whose `write` something wrapped).
   */
  readonly out: Writable;
  /** The id of the last event sent (or skipped by the filter). */
  last: number;
  /** The event names to keep; undefined keeps all. */
  readonly types: ReadonlySet<AgentEventType> | undefined;
  /** While set, the viewer is still reading the history (the opening burst), paced by the socket. */
  replay: Iterator<HistoryEntry> | undefined;
  /** The history's `droppedSeq` when the viewer joined: a later drop above `last` is state it missed. */
  readonly droppedAtJoin: number;
  closed: boolean;
  /** The lane of a viewer of an ecosystem format (AG-UI, AI SDK); undefined: the native format. */
  lane?: import('./create-format-lane').FormatLane;
  /** An interop viewer's opening still to write (paced by the socket), then what came live meanwhile. */
  queue?: string[];
  /** Characters in `queue`. */
  queued?: number;
}

/**
 * The record of a viewer whose response has its headers written with a raw body (no chunked
 * framing): `out` is its socket unless something wrapped the response's `write` (a middleware
 * that counts or transforms the body), so live writes skip the response's bookkeeping and
 * per-write cork. The same record for a response of the control server and of a user's Express
 * app.
 *
 * ## Example
 * ```ts
 * const v = createViewer(res, { last: 0, types: undefined, replay: history.entries(), droppedAtJoin: history.droppedSeq });
 * v.out.write(chunk);
 * ```
 */
export function createViewer(res: ServerResponse, init: Pick<Viewer, 'last' | 'types' | 'replay' | 'droppedAtJoin'>): Viewer {
  const plain = res.write === ServerResponse.prototype.write && res.socket;
  return {
    res,
    out: plain ? res.socket! : res,
    last: init.last,
    types: init.types,
    replay: init.replay,
    droppedAtJoin: init.droppedAtJoin,
    closed: false,
  };
}
