// The primary's channel to a worker (`serve --workers`): a worker that dies while the primary
// writes to it must not crash the primary. Real cluster workers, killed mid-stream of messages.
import cluster, { type Worker } from 'node:cluster';
import { primaryEndpoint } from '../../src/workers/ipc-endpoints';

jest.setTimeout(60_000);

/** A worker that only idles (and takes messages), started from a `-e` script. */
function idleWorker(): Promise<Worker> {
  cluster.setupPrimary({
    exec: __filename,
    execArgv: ['-e', 'process.on("message", () => {}); setInterval(() => {}, 1000);'],
    silent: true,
  });
  const w = cluster.fork();
  // No `error` listener here: what the primary does with one is what is tested.
  return new Promise((resolve) => w.once('online', () => resolve(w)));
}

it('sends to a worker SIGKILLed mid-stream without an uncaught EPIPE (5 workers, 1 KB messages each turn until the primary sees it gone)', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => void uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    for (let i = 0; i < 5; i++) {
      const w = await idleWorker();
      const endpoint = primaryEndpoint(w);
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.process.kill('SIGKILL');
      // Sleep without a turn of the event loop: the worker is dead and its channel closed, but
      // the primary has not seen it yet (as when a worker dies between two flushes of the hub).
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      let sent = 0;
      // Writes in each turn until the primary has seen the channel close (as the hub's flushes do).
      await new Promise<void>((resolve) => {
        const loop = () => {
          if (!w.isConnected()) return resolve();
          for (let k = 0; k < 50; k++) endpoint.send({ as: 'agent-stream', k: 'frames', pad: 'x'.repeat(1000) });
          sent += 50;
          setImmediate(loop);
        };
        loop();
      });
      await exited;
      await new Promise((r) => setTimeout(r, 50)); // a failed write's error comes on a later tick
      expect(sent).toBeGreaterThan(0);
    }
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  expect(uncaught).toEqual([]);
});
