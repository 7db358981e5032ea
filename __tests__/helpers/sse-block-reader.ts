/** One SSE frame as the cluster tests keep it: its id (a number), event name and data line. */
export interface IdFrame {
  id?: number;
  event: string;
  data: string;
}

/**
 * A reader of an SSE body that arrives in chunks: each chunk in, each complete frame with data out
 * (to `onFrame`), in order. Comments and frames without data are skipped. Our server writes one
 * `data:` line a frame, so a frame's data is its last `data:` line.
 */
export function createSseBlockReader(onFrame: (frame: IdFrame) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const f: IdFrame = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) f.id = Number(line.slice(4));
        else if (line.startsWith('event: ')) f.event = line.slice(7);
        else if (line.startsWith('data: ')) f.data = line.slice(6);
      }
      if (f.data !== '') onFrame(f);
    }
  };
}
