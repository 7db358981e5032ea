'use strict';
// Bench worker: the load process. Holds N raw HTTP/1.1 connections to a variant's server, finds
// the bench records in the raw SSE bytes and measures end-to-end latency from the publish time
// each one carries; or, armed with `tokens`, the tokens of a streamed answer (lib/token-scanner.js)
// and the bytes each viewer received. Commands: connect, arm, collect, bytes, stall, drainStalled,
// closeAll.

const http = require('node:http');
const net = require('node:net');
const { serveWorker } = require('./lib/ipc');
const { nowUs, sleep } = require('./lib/clock');
const { createHistogram } = require('./lib/histogram');
const { createScanState, scanChunk } = require('./lib/marker-scanner');
const { createTokenScanState, scanTokens } = require('./lib/token-scanner');

const HOST = '127.0.0.1';
const HEAD_END = Buffer.from('\r\n\r\n');
const conns = [];
const histogram = createHistogram();
const ticketAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });

let phase = null; // { expected, remaining, lastRecvUs, records, closed, cpu0, waiter }
let tokenMode = false; // what the last `arm` asked for: answer tokens instead of BENCH records
let lastExpected = 0;

const recordLatency = (tsUs) => histogram.record(currentNow - tsUs);
let currentNow = 0;

function onRecords(conn, n) {
  conn.count += n;
  if (!phase) return;
  phase.records += n;
  phase.lastRecvUs = currentNow;
  if (!conn.done && !conn.excluded && conn.count >= phase.expected) {
    conn.done = true;
    if (--phase.remaining === 0) phase.waiter?.();
  }
}

// All streams read into this one buffer (`onread`: no Readable machinery, no allocation per
// read). Safe because every read is fully handled inside its callback; a record cut at the end
// is copied into the connection's carry.
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

function openStream(port, path) {
  return new Promise((resolve) => {
    const conn = {
      sock: null,
      scan: createScanState(),
      tokens: createTokenScanState(),
      arrivals: null,
      bytes: 0,
      count: 0,
      excluded: false,
      done: false,
      open: false,
      head: null,
    };
    // Token i's first arrival (µs) on this connection; the load's counterpart of the publish times.
    const onToken = (i) => {
      if (conn.arrivals === null || i >= conn.arrivals.length || conn.arrivals[i] !== 0) return;
      conn.arrivals[i] = currentNow;
      onRecords(conn, 1);
    };
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) sock.destroy();
      resolve(err ? { error: err } : { conn });
    };
    const onBody = (chunk) => {
      currentNow = nowUs();
      conn.bytes += chunk.length;
      if (tokenMode) {
        scanTokens(conn.tokens, chunk, onToken);
        return;
      }
      const n = scanChunk(conn.scan, chunk, recordLatency);
      if (n > 0) onRecords(conn, n);
    };
    const onHead = (chunk) => {
      conn.head = conn.head ? Buffer.concat([conn.head, chunk]) : Buffer.from(chunk);
      const end = conn.head.indexOf(HEAD_END);
      if (end === -1) {
        if (conn.head.length > 16_384) settle('response head too large');
        return;
      }
      const statusLine = conn.head.subarray(0, conn.head.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.[01] 200 /.test(statusLine)) return settle(`answered "${statusLine}"`);
      conn.open = true;
      const rest = conn.head.subarray(end + 4);
      conn.head = null;
      conns.push(conn);
      settle(null);
      if (rest.length > 0) onBody(rest);
    };
    const sock = net.connect({
      port,
      host: HOST,
      onread: {
        buffer: READ_BUFFER,
        callback: (nread, buf) => {
          const chunk = buf.subarray(0, nread);
          if (conn.open) onBody(chunk);
          else onHead(chunk);
        },
      },
    });
    conn.sock = sock;
    const timer = setTimeout(() => settle('no response head within 15 s'), 15_000);
    sock.setNoDelay(true);
    sock.on('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`);
    });
    sock.on('error', (err) => settle(err.message));
    sock.on('close', () => {
      settle('closed before the response head');
      if (!conn.open) return;
      conn.open = false;
      if (phase && !conn.done && !conn.excluded) {
        phase.closed++;
        conn.done = true;
        if (--phase.remaining === 0) phase.waiter?.();
      }
      conn.onClose?.();
    });
  });
}

function requestTicket(port, ticketPath) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port, path: ticketPath, method: 'POST', agent: ticketAgent, headers: { 'content-length': 0 } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          if (res.statusCode !== 201) return reject(new Error(`ticket: ${res.statusCode} ${body.slice(0, 200)}`));
          try {
            const { ticket, streamUrl } = JSON.parse(body);
            // streamUrl carries ?ticket= (protocol §4); older servers answered the bare path.
            resolve(
              streamUrl.includes('ticket=')
                ? streamUrl
                : `${streamUrl}${streamUrl.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`,
            );
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('ticket request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Opens one viewer of `agent` (`{agent}` in the variant's paths). */
async function connectOne(port, connect, agent) {
  const of = (template) => template.replace('{agent}', String(agent));
  try {
    const path = connect.mode === 'ticket' ? await requestTicket(port, of(connect.ticketPath)) : of(connect.path);
    return await openStream(port, path);
  } catch (err) {
    return { error: err.message };
  }
}

const handlers = {
  /** Opens `count` viewers, viewer k watching agent k % `agents`. */
  async connect({ port, connect, count, agents = 1, concurrency = 64 }) {
    const t0 = Date.now();
    let next = 0;
    let opened = 0;
    const errors = [];
    const worker = async () => {
      while (next < count) {
        const agent = next++ % agents;
        const r = await connectOne(port, connect, agent);
        if (r.error) errors.push(r.error);
        else opened++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { opened, failed: errors.length, errors: errors.slice(0, 5), ms: Date.now() - t0, total: conns.filter((c) => c.open).length };
  },

  /** `tokens`: count the tokens 0..expected-1 of an answer (each once per viewer), not BENCH records. */
  arm({ expected, tokens = false }) {
    histogram.reset();
    tokenMode = tokens;
    lastExpected = expected;
    let remaining = 0;
    for (const c of conns) {
      c.count = 0;
      c.bytes = 0;
      c.tokens = createTokenScanState();
      c.arrivals = tokens ? new Float64Array(expected) : null;
      c.done = !c.open || c.excluded;
      if (!c.done) remaining++;
    }
    const cpu = process.cpuUsage();
    phase = { expected, remaining, records: 0, lastRecvUs: 0, closed: 0, cpu0: cpu.user + cpu.system, waiter: null };
    return { viewers: remaining };
  },

  /** `publishUs` (token mode): when each token was published; latency = first arrival − that. */
  async collect({ timeoutMs = 60_000, publishUs = null }) {
    if (!phase) throw new Error('not armed');
    const p = phase;
    if (p.remaining > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        p.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    phase = null;
    if (tokenMode && publishUs) {
      for (const c of conns) {
        if (c.excluded || !c.arrivals) continue;
        for (let i = 0; i < c.arrivals.length && i < publishUs.length; i++)
          if (c.arrivals[i] !== 0) histogram.record(c.arrivals[i] - publishUs[i]);
      }
    }
    const cpu = process.cpuUsage();
    let min = Infinity;
    let max = 0;
    for (const c of conns) {
      if (c.excluded) continue;
      if (c.count < min) min = c.count;
      if (c.count > max) max = c.count;
    }
    return {
      complete: p.remaining === 0 && p.closed === 0 && min === p.expected && max === p.expected,
      expected: p.expected,
      incomplete: p.remaining,
      closed: p.closed,
      records: p.records,
      minCount: min === Infinity ? 0 : min,
      maxCount: max,
      lastRecvUs: p.lastRecvUs,
      latency: histogram.summary(),
      loadCpuUs: cpu.user + cpu.system - p.cpu0,
    };
  },

  /** Body bytes each viewer received since `arm`: all of them, and those that got every token/record. */
  bytes() {
    let total = 0;
    let viewers = 0;
    let complete = 0;
    let completeBytes = 0;
    let min = Infinity;
    let max = 0;
    for (const c of conns) {
      if (c.excluded) continue;
      total += c.bytes;
      viewers++;
      if (c.bytes < min) min = c.bytes;
      if (c.bytes > max) max = c.bytes;
      if (c.count >= lastExpected) {
        complete++;
        completeBytes += c.bytes;
      }
    }
    return { total, viewers, complete, min: viewers ? min : 0, max, meanComplete: complete ? completeBytes / complete : null };
  },

  stall({ index }) {
    const c = conns[index];
    if (!c || !c.open) throw new Error(`no open connection #${index}`);
    c.excluded = true;
    c.sock.pause();
    return { stalled: index };
  },

  async drainStalled({ index, timeoutMs = 5000 }) {
    const c = conns[index];
    if (!c) throw new Error(`no connection #${index}`);
    if (!c.open) return { ended: true, recordsAfterResume: 0 };
    c.count = 0;
    const ended = new Promise((resolve) => (c.onClose = () => resolve(true)));
    c.sock.resume();
    const result = await Promise.race([ended, sleep(timeoutMs).then(() => false)]);
    return { ended: result, recordsAfterResume: c.count };
  },

  closeAll() {
    for (const c of conns) c.sock.destroy();
    conns.length = 0;
    ticketAgent.destroy();
    return null;
  },
};

serveWorker(handlers, { onExit: async () => handlers.closeAll() });
process.send({ type: 'ready', pid: process.pid });
