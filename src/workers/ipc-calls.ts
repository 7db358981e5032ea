/**
 * One end of an IPC channel (a cluster worker's `process`, or the primary's `Worker`): sends a
 * message, and hands each received one to `onMessage`.
 */
export interface IpcEndpoint {
  send(message: IpcMessage): void;
  onMessage(listener: (message: IpcMessage) => void): () => void;
}

/** Every message of agent-stream's channel carries `as: 'agent-stream'` (others, e.g. prom-client's, are ignored). */
export interface IpcMessage {
  as: 'agent-stream';
  k: string;
  [field: string]: unknown;
}

/** An error as it crosses the channel: its message and the fields the server's answers read. */
export interface IpcError {
  name: string;
  message: string;
  status?: number;
  code?: string;
  retryAfterSeconds?: number;
  agentId?: string;
  client?: string;
}

/**
 * Whether `m` is one of agent-stream's IPC messages.
 *
 * ## Example
 * ```ts
 * process.on('message', (m) => isIpcMessage(m) && handle(m));
 * ```
 */
export const isIpcMessage = (m: unknown): m is IpcMessage =>
  typeof m === 'object' && m !== null && (m as { as?: unknown }).as === 'agent-stream' && typeof (m as { k?: unknown }).k === 'string';

/**
 * The fields of `err` that cross the channel.
 *
 * ## Example
 * ```ts
 * reply({ as: 'agent-stream', k: 'reply', id, ok: false, e: toIpcError(err) });
 * ```
 */
export function toIpcError(err: unknown): IpcError {
  const e = (err ?? {}) as Partial<IpcError>;
  const out: IpcError = {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(err),
  };
  for (const key of ['status', 'retryAfterSeconds'] as const) if (typeof e[key] === 'number') out[key] = e[key];
  for (const key of ['code', 'agentId', 'client'] as const) if (typeof e[key] === 'string') out[key] = e[key];
  return out;
}

/** Calls the primary's methods over `endpoint`; every call answers or fails within `timeoutMs`. */
export interface IpcCaller {
  call<T>(method: string, ...args: unknown[]): Promise<T>;
  /** Fails every call still waiting (the channel is gone). */
  close(): void;
}

/**
 * Creates the calling side of the workers' RPC: `call(method, ...args)` sends `{k:'call'}` and
 * resolves with the primary's `{k:'reply'}` (or rejects with an `Error` carrying the remote
 * error's fields, so `err.status` or `retryAfterSeconds` read as they did in the primary).
 *
 * ## Example
 * ```ts
 * const rpc = createIpcCaller(workerEndpoint(process));
 * const ok = await rpc.call<boolean>('claims.claim', 'a1', 'per_1');
 * ```
 */
export function createIpcCaller(endpoint: IpcEndpoint, timeoutMs = 10_000): IpcCaller {
  let next = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  const settle = (id: number, fn: (w: { resolve(v: unknown): void; reject(e: Error): void }) => void) => {
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    clearTimeout(w.timer);
    fn(w);
  };
  endpoint.onMessage((m) => {
    if (m.k !== 'reply' || typeof m.id !== 'number') return;
    if (m.ok === true) settle(m.id, (w) => w.resolve(m.v));
    else settle(m.id, (w) => w.reject(Object.assign(new Error(), (m.e ?? {}) as IpcError)));
  });
  return {
    call<T>(method: string, ...args: unknown[]) {
      return new Promise<T>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(
          () => settle(id, (w) => w.reject(new Error(`IPC call ${method} got no answer in ${timeoutMs} ms`))),
          timeoutMs,
        );
        timer.unref();
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        try {
          endpoint.send({ as: 'agent-stream', k: 'call', id, m: method, a: args });
        } catch (err) {
          settle(id, (w) => w.reject(err as Error));
        }
      });
    },
    close() {
      for (const id of [...waiting.keys()]) settle(id, (w) => w.reject(new Error('the primary process is gone')));
    },
  };
}

/** The primary's methods, by name; each gets the calling worker's id first. */
export type IpcMethods = Record<string, (from: number, ...args: never[]) => unknown>;

/**
 * Answers a `{k:'call'}` message from worker `from` with `methods` (an unknown method or a
 * thrown error answers `ok: false`); returns false for another message.
 *
 * ## Example
 * ```ts
 * worker.on('message', (m) => isIpcMessage(m) && answerIpcCall(methods, worker.id, m, (r) => worker.send(r)));
 * ```
 */
export function answerIpcCall(methods: IpcMethods, from: number, m: IpcMessage, reply: (r: IpcMessage) => void): boolean {
  if (m.k !== 'call' || typeof m.id !== 'number' || typeof m.m !== 'string' || !Array.isArray(m.a)) return false;
  const id = m.id;
  const method = Object.hasOwn(methods, m.m) ? methods[m.m] : undefined;
  const send = (r: Omit<IpcMessage, 'as' | 'k'>) => {
    try {
      reply({ as: 'agent-stream', k: 'reply', id, ...r });
    } catch {
      // The worker is gone: nothing to answer.
    }
  };
  new Promise((resolve) => {
    if (!method) throw new TypeError(`no IPC method ${m.m}`);
    resolve(method(from, ...(m.a as never[])));
  }).then(
    (v) => send({ ok: true, v }),
    (err: unknown) => send({ ok: false, e: toIpcError(err) }),
  );
  return true;
}
