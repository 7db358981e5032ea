import type { ServerResponse } from 'node:http';

export interface SseWriterOptions {
  /** Unsent bytes allowed once the opening burst (status + history) is out. */
  maxBufferedBytes: number;
  /** Called once when the viewer is cut off for being too slow. */
  onSlow: () => void;
}

/** Writes SSE frames to one response, joining every frame of one event-loop turn into one write. */
export interface SseWriter {
  /** Queues a frame; false once the writer is closed. */
  write(frame: string): boolean;
  /** Writes the opening burst (headers already sent) at once; it does not count against the limit until drained. */
  writeInitial(text: string): void;
  /** Flushes what is queued and ends the response. */
  end(): void;
  readonly closed: boolean;
}

/**
 * Creates the per-viewer writer. Frames queued in one turn are joined and written once (one
 * syscall per viewer per turn, the "limit-coalesced" pattern); a viewer whose unsent bytes pass
 * `maxBufferedBytes` is destroyed, so it never slows the others or grows memory without bound.
 */
export function createSseWriter(res: ServerResponse, options: SseWriterOptions): SseWriter {
  let pending = '';
  let scheduled = false;
  let closed = false;
  let allowance = 0;

  const isClosed = () => closed || res.destroyed || res.writableEnded;
  const flush = () => {
    scheduled = false;
    if (isClosed() || pending === '') return;
    const chunk = pending;
    pending = '';
    // What earlier turns left unsent: a chunk just written always counts until its callback
    // runs, so the check is made before writing, never on the chunk itself.
    if (res.writableLength > options.maxBufferedBytes + allowance) {
      closed = true;
      options.onSlow();
      res.destroy();
      return;
    }
    res.write(chunk);
  };
  res.on('drain', () => (allowance = 0));

  return {
    write(frame) {
      if (isClosed()) return false;
      pending += frame;
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
      return true;
    },
    writeInitial(text) {
      if (isClosed()) return;
      res.write(text);
      allowance = res.writableLength;
    },
    end() {
      if (isClosed()) return;
      flush();
      closed = true;
      if (!res.destroyed) res.end();
    },
    get closed() {
      return isClosed();
    },
  };
}
