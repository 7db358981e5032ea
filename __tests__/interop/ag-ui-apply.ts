import { AbstractAgent, defaultApplyEvents, transformHttpEventStream, verifyEvents } from '@ag-ui/client';
import { EventSchemas } from '@ag-ui/core/schemas';
import { asapScheduler, from, lastValueFrom, observeOn, toArray, type Observable } from 'rxjs';

/** @ag-ui/client bundles its own rxjs: its types do not meet ours, its observables do at run time. */
type AnyObservable = Observable<{ messages?: unknown[] }>;
const apply = defaultApplyEvents as unknown as (input: unknown, events: unknown, agent: unknown, subscribers: unknown[]) => AnyObservable;
const verify = verifyEvents as unknown as () => (source: Observable<unknown>) => Observable<unknown>;

/** @ag-ui/client's HttpEventType values ('headers', 'data'): the enum itself is not exported. */
const transform = transformHttpEventStream as unknown as (source: Observable<unknown>) => Observable<unknown>;

/**
 * The AG-UI events of an HTTP response body, parsed by @ag-ui/client's own HTTP transform (the
 * one its HttpAgent uses: SSE by content type, each event validated).
 */
export async function agUiEventsOfBody(body: string, contentType = 'text/event-stream; charset=utf-8'): Promise<unknown[]> {
  // The transform subscribes at once and reads a hot subject: the response comes a turn later, as a fetch's would.
  const http = from([
    { type: 'headers', status: 200, headers: new Headers({ 'content-type': contentType }) },
    { type: 'data', data: new TextEncoder().encode(body) },
  ]).pipe(observeOn(asapScheduler));
  return lastValueFrom(transform(http).pipe(toArray()));
}

class WatchAgent extends AbstractAgent {
  run(): never {
    throw new Error('not used');
  }
}

/** Throws unless every event validates against @ag-ui/core's schema. */
export function validateAgUi(events: readonly unknown[]): void {
  for (const e of events) {
    const parsed = EventSchemas.safeParse(e);
    if (!parsed.success) throw new Error(`${(e as { type: string }).type} does not validate: ${parsed.error.message}`);
  }
}

/** Applies AG-UI events the way @ag-ui/client does (its verifier, then its default event application): the final messages. */
export async function applyAgUi(events: readonly unknown[]): Promise<unknown[]> {
  const agent = new WatchAgent({ threadId: 't' });
  const input = { threadId: 't', runId: 'r', messages: [], tools: [], context: [], state: {}, forwardedProps: {} };
  const mutations = await lastValueFrom(apply(input, from(events).pipe(verify()), agent, []).pipe(toArray()));
  return mutations.filter((m) => m.messages).pop()?.messages ?? [];
}

/** Messages by id (AG-UI clients key messages by id). */
export const byId = (messages: readonly unknown[]): Record<string, unknown> =>
  Object.fromEntries((messages as { id: string }[]).map((m) => [m.id, m]));
