import type { Worker } from 'node:cluster';
import { isIpcMessage, type IpcEndpoint, type IpcMessage } from './ipc-calls';

/** Listens on `emitter`'s `message` events for agent-stream's messages only. */
const listen =
  (emitter: NodeJS.EventEmitter) =>
  (listener: (m: IpcMessage) => void): (() => void) => {
    const on = (m: unknown) => isIpcMessage(m) && listener(m);
    emitter.on('message', on);
    return () => void emitter.off('message', on);
  };

/**
 * The primary's end of its channel to cluster worker `worker`.
 *
 * ## Example
 * ```ts
 * hub.connect(worker.id, primaryEndpoint(cluster.fork()));
 * ```
 */
export function primaryEndpoint(worker: Worker): IpcEndpoint {
  return {
    send: (m) => void (worker.isConnected() && worker.send(m)),
    onMessage: listen(worker),
  };
}

/**
 * A cluster worker's end of its channel to the primary (its `process`).
 *
 * ## Example
 * ```ts
 * const rpc = createIpcCaller(workerEndpoint(process));
 * ```
 */
export function workerEndpoint(proc: NodeJS.Process): IpcEndpoint {
  return {
    send: (m) => {
      if (!proc.send || !proc.connected) throw new Error('no channel to the primary process');
      proc.send(m);
    },
    onMessage: listen(proc),
  };
}
