'use strict';
// per-viewer rxjs: the naive design (NestJS `@Sse` style). One shared Subject of upstream
// events; every viewer subscribes its own pipeline that maps and JSON.stringifies each event.

const { Subject, map } = require('rxjs');
const { readUpstream } = require('../lib/read-upstream');
const { createViewerServer } = require('../lib/viewer-server');

async function start({ upstreamUrl, host }) {
  const events = new Subject();
  const server = await createViewerServer({
    host,
    onOpen: (res) => {
      const sub = events
        .pipe(
          map(({ seq, part }) => ({ id: seq, type: 'text', data: { ...part } })),
          map((e) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`),
        )
        .subscribe((frame) => res.write(frame));
      return () => sub.unsubscribe();
    },
  });
  let seq = 0;
  const upstream = await readUpstream(upstreamUrl, (part) => events.next({ seq: ++seq, part }));
  return {
    ...server,
    close: async () => {
      upstream.close();
      events.complete();
      await server.close();
    },
  };
}

module.exports = { start };
