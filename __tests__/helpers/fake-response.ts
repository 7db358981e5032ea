import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';

/**
 * A fake `ServerResponse` for the broadcast's unit tests: `write` queues bytes (`writableLength`)
 * until the test reads them (`read()`), `writableNeedDrain` once 16 KiB are queued, `drain`
 * emitted by `read()`, `close` by `destroy()` / `end()` or the test (`hangUp()`).
 */
export interface FakeResponse {
  readonly res: ServerResponse;
  /** Everything written so far (read or not). */
  text(): string;
  /** Bytes written but not read yet. */
  readonly queued: number;
  /** How many times `write` was called. */
  readonly writes: number;
  /** The most that was ever queued at once. */
  readonly peakQueued: number;
  /** Reads what is queued (the client reads): emits `drain` when a write had reported back-pressure. */
  read(): void;
  /** Reads until nothing more is written (the client keeps up). */
  readAll(): Promise<void>;
  /** The client goes away. */
  hangUp(): void;
  readonly ended: boolean;
  readonly destroyed: boolean;
  readonly status: number | undefined;
}

const HIGH_WATER_MARK = 16 * 1024;

export function createFakeResponse(): FakeResponse {
  const emitter = new EventEmitter();
  let all = '';
  let queued = 0;
  let writes = 0;
  let peak = 0;
  let needDrain = false;
  let ended = false;
  let destroyed = false;
  let status: number | undefined;
  const close = () => {
    if (destroyed) return;
    destroyed = true;
    emitter.emit('close');
  };
  const res = Object.assign(emitter, {
    useChunkedEncodingByDefault: true,
    socket: { setNoDelay() {} },
    writeHead(code: number) {
      status = code;
      return res;
    },
    write(chunk: string | Buffer) {
      if (ended || destroyed) return false;
      writes++;
      all += chunk.toString();
      queued += Buffer.byteLength(chunk);
      peak = Math.max(peak, queued);
      if (queued >= HIGH_WATER_MARK) needDrain = true;
      return !needDrain;
    },
    end() {
      ended = true;
      setImmediate(close);
      return res;
    },
    destroy() {
      close();
      return res;
    },
  });
  // Getters by defineProperties: Object.assign would copy their values once.
  Object.defineProperties(res, {
    writableLength: { get: () => queued },
    writableNeedDrain: { get: () => needDrain },
  });
  const fake: FakeResponse = {
    res: res as unknown as ServerResponse,
    text: () => all,
    get queued() {
      return queued;
    },
    get writes() {
      return writes;
    },
    get peakQueued() {
      return peak;
    },
    read() {
      queued = 0;
      if (needDrain) {
        needDrain = false;
        emitter.emit('drain');
      }
    },
    async readAll() {
      for (let i = 0; i < 100_000; i++) {
        const before = all.length;
        fake.read();
        await new Promise((r) => setImmediate(r));
        if (all.length === before && queued === 0) return;
      }
      throw new Error('readAll: the writer never stopped');
    },
    hangUp: close,
    get ended() {
      return ended;
    },
    get destroyed() {
      return destroyed;
    },
    get status() {
      return status;
    },
  };
  return fake;
}

/** One parsed SSE event frame. */
export interface ParsedFrame {
  id?: number;
  event: string;
  data: unknown;
}

/** Parses SSE text into its event frames (comments and `retry:` skipped). */
export function parseFrames(text: string): ParsedFrame[] {
  const out: ParsedFrame[] = [];
  for (const block of text.split('\n\n')) {
    let id: number | undefined;
    let event: string | undefined;
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = Number(line.slice(4));
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (event !== undefined && data !== undefined) out.push({ ...(id !== undefined ? { id } : {}), event, data: JSON.parse(data) });
  }
  return out;
}
