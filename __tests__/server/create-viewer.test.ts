import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createViewer } from '../../src/server/create-viewer';

/** One request to a server whose handler gets the raw response; resolves with what the handler returned. */
async function withResponse<T>(handle: (res: http.ServerResponse) => T): Promise<T> {
  let out!: T;
  const server = http.createServer((_req, res) => {
    out = handle(res);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`).then((r) => r.text());
  await new Promise((r) => server.close(r));
  return out;
}

const init = { last: 0, types: undefined, replay: undefined, droppedAtJoin: 0 };

describe('createViewer', () => {
  it('writes live frames straight to the socket of a plain response', async () => {
    const same = await withResponse((res) => createViewer(res, init).out === res.socket);
    expect(same).toBe(true);
  });

  it('writes through the response when something wrapped its write (a middleware that counts or transforms the body)', async () => {
    const same = await withResponse((res) => {
      const write = res.write.bind(res);
      res.write = ((chunk: string) => write(chunk)) as typeof res.write;
      return createViewer(res, init).out === res;
    });
    expect(same).toBe(true);
  });
});
