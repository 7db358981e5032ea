'use strict';
// Process plumbing of the cluster bench: free ports, CPU time from /proc, child processes that
// print a ready line, and the load process's stdin/stdout protocol.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

const TICK = 100; // CLK_TCK on Linux

/** A free port of 127.0.0.1. */
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) of a process, from /proc; 0 once it is gone. */
function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** The pids whose parent is `pid` (nginx's workers). */
function childPids(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Starts a child process; resolves with it and the first stdout (or stderr) match of `re`. */
function start(cmd, args, re, { stream = 'stdout', timeoutMs = 30_000 } = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not start: ${out}${err}`));
    }, timeoutMs);
    child[stream].on('data', function on() {
      const m = re.exec(stream === 'stdout' ? out : err);
      if (m) {
        clearTimeout(t);
        child[stream].off('data', on);
        resolve({ child, match: m });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${cmd} exited ${code}: ${out}${err}`));
    });
  });
}

/** Sends a command line to the load process and waits for its JSON answer. */
function ask(load, cmd) {
  return new Promise((resolve) => {
    let buf = '';
    const on = (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      load.stdout.off('data', on);
      resolve(JSON.parse(buf.slice(0, i)));
    };
    load.stdout.on('data', on);
    load.stdin.write(`${cmd}\n`);
  });
}

/** Starts a redis-server without persistence on a free port: `{ child, url }`. */
async function startRedis() {
  const port = await freePort();
  const r = await start(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    /Ready to accept/,
  );
  return { child: r.child, url: `redis://127.0.0.1:${port}` };
}

module.exports = { freePort, cpuSeconds, childPids, start, ask, startRedis };
