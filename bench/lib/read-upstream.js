'use strict';
// The minimal kilo consumer the hand-written variants share: `GET {url}/event`, split frames on
// a blank line, JSON.parse each `data:` line, hand `message.part.updated` text parts on as the
// browser-facing `text` data `{messageId, partId, role, text}` and each `message.part.delta` of a
// text as `{messageId, partId, role, delta}` (the token alone). One subscription per agent
// (`/event` for agent 0, `/a<i>/event` for agent i: kilo-upstream.js).

const http = require('node:http');

/**
 * @param {string} baseUrl the kilo-compatible upstream
 * @param {(data: {messageId: string, partId: string, role: string, text?: string, delta?: string}) => void} onText
 * @param {number} [agent] which agent's stream
 * @returns {Promise<{close: () => void}>} once the stream is open
 */
function readUpstream(baseUrl, onText, agent = 0) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      new URL(agent === 0 ? '/event' : `/a${agent}/event`, baseUrl),
      { headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`upstream answered ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk) => {
          buffered += chunk;
          let end = buffered.indexOf('\n\n');
          let start = 0;
          while (end !== -1) {
            const frame = buffered.slice(start, end);
            start = end + 2;
            end = buffered.indexOf('\n\n', start);
            if (!frame.startsWith('data: ')) continue;
            const event = JSON.parse(frame.slice(6));
            const part = event.type === 'message.part.updated' ? event.properties.part : undefined;
            if (part && part.type === 'text') {
              onText({ messageId: part.messageID, partId: part.id, role: 'assistant', text: part.text });
            } else if (event.type === 'message.part.delta' && event.properties.field === 'text') {
              const p = event.properties;
              onText({ messageId: p.messageID, partId: p.partID, role: 'assistant', delta: p.delta });
            }
          }
          buffered = buffered.slice(start);
        });
        resolve({ close: () => req.destroy() });
      },
    );
    req.on('error', reject);
  });
}

module.exports = { readUpstream };
