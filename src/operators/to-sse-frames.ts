import { Observable, type OperatorFunction } from 'rxjs';
import type { AgentEvent, SequencedAgentEvent } from '../protocol/agent-event';
import { encodeAgentEvent } from '../sse/encode-agent-event';
import { SSE_KEEPALIVE } from '../sse/encode-sse';
import type { Keepalive } from './with-keepalive';

/**
 * Encodes agent events as SSE frames (`id: seq\nevent: type\ndata: json\n\n`) and keepalive
 * markers as `: keepalive\n\n`. A sequenced event is serialized once however many streams
 * encode it. An event that cannot be encoded errors the stream (it never throws).
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(withKeepalive(15_000), toSseFrames()).subscribe((f) => res.write(f));
 * ```
 */
export function toSseFrames(): OperatorFunction<AgentEvent | SequencedAgentEvent | Keepalive, string> {
  return (source) =>
    new Observable<string>((subscriber) =>
      source.subscribe({
        next(value) {
          let frame: string;
          try {
            frame = value.type === 'keepalive' ? SSE_KEEPALIVE : encodeAgentEvent(value);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.next(frame);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
