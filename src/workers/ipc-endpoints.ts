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

const ignoreSendError = (): void => undefined;

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
    // A worker may die between the check and the write: the write then fails (EPIPE), which
    // without a callback is an `error` event nobody handles, and the primary would crash. Its end
    // is the cluster's `exit`, handled there; a message to it is moot.
    send: (m) => void (worker.isConnected() && worker.send(m, undefined, ignoreSendError)),
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
      // The primary gone mid-write (EPIPE): this worker ends on the channel's `disconnect`.
      proc.send(m, undefined, undefined, ignoreSendError);
    },
    onMessage: listen(proc),
  };
}
