// Test doubles for the browser client: an EventSource that records every URL it was opened
// with and follows the browser's lastEventId rules, and a fetch that hands out numbered tickets.
import type { EventSourceConstructor, EventSourceLike } from '../../src/client';

export interface FakeEventSource extends EventSourceLike {
  readonly url: string;
  readonly closed: boolean;
  open(): void;
  /** Sends a named event; `id` sets the browser's last-event-id buffer (kept for frames without one). */
  send(type: string, data: unknown, id?: number): void;
  /** A raw frame (e.g. data that is not JSON). */
  sendRaw(type: string, data: string, id?: number): void;
  fail(): void;
}

export function createFakeEventSource(): { EventSource: EventSourceConstructor; instances: FakeEventSource[] } {
  const instances: FakeEventSource[] = [];
  class Fake implements FakeEventSource {
    readyState = 0;
    closed = false;
    private readonly listeners = new Map<string, Array<(e: MessageEvent) => void>>();
    private lastIdBuffer = '';
    constructor(readonly url: string) {
      instances.push(this);
    }
    addEventListener(type: string, listener: (e: MessageEvent) => void): void {
      const list = this.listeners.get(type) ?? [];
      list.push(listener);
      this.listeners.set(type, list);
    }
    close(): void {
      this.closed = true;
      this.readyState = 2;
    }
    private emit(type: string, event: Partial<MessageEvent>): void {
      if (this.closed) return; // a closed EventSource dispatches nothing
      for (const l of this.listeners.get(type) ?? []) l(event as MessageEvent);
    }
    open(): void {
      this.readyState = 1;
      this.emit('open', {});
    }
    send(type: string, data: unknown, id?: number): void {
      this.sendRaw(type, JSON.stringify(data), id);
    }
    sendRaw(type: string, data: string, id?: number): void {
      if (id !== undefined) this.lastIdBuffer = String(id);
      this.emit(type, { data, lastEventId: this.lastIdBuffer });
    }
    fail(): void {
      this.readyState = 0; // a browser would now reconnect by itself, with the same URL
      this.emit('error', {});
    }
  }
  return { EventSource: Fake as unknown as EventSourceConstructor, instances };
}

export type FetchReply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

export interface FakeFetch {
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  calls: Array<{ url: string; method: string | undefined }>;
  /** Replies used in order; when empty, a fresh ticket `t<N>` (201). */
  replies: FetchReply[];
}

export function createFakeFetch(streamUrl = '/agents/a1/stream'): FakeFetch {
  const calls: FakeFetch['calls'] = [];
  const replies: FetchReply[] = [];
  let n = 0;
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    calls.push({ url, method: init?.method });
    const reply = replies.shift();
    if (reply instanceof Error) throw reply;
    if (reply) return fakeResponse(reply.status, reply.body ?? {}, reply.headers);
    n++;
    return fakeResponse(201, { ticket: `t${n}`, expiresAt: new Date(Date.now() + 60_000).toISOString(), streamUrl });
  };
  return { fetch, calls, replies };
}

/** A Response with only what the client reads (a real one needs real timers to read its body). */
function fakeResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name: string) => lower.get(name.toLowerCase()) ?? null },
    json: async () => body,
  } as unknown as Response;
}

/** Lets pending promise callbacks (fetch, response.json) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export const statusData = (state = 'busy') => ({ agentId: 'a1', sessionId: 'ses_1', state, activeTools: [] });
export const textData = (text: string) => ({ messageId: 'm1', partId: 'p1', role: 'assistant', text });
