'use strict';
// Request/response over a child process IPC channel, with timeouts, plus the child-side loop.
// Children exit by themselves when the parent goes away or after `lifetimeMs`.

const { fork } = require('node:child_process');
const path = require('node:path');

/**
 * Forks `script` and resolves once it sent `{type: 'ready', ...}`.
 * @param {string} script path of the child entry
 * @param {{args?: string[], execArgv?: string[], readyTimeoutMs?: number, name?: string}} [options]
 * @returns {Promise<{ready: object, call: (cmd: string, args?: object, timeoutMs?: number) => Promise<any>, stop: (timeoutMs?: number) => Promise<void>, child: import('node:child_process').ChildProcess}>}
 */
function spawnWorker(script, options = {}) {
  const name = options.name ?? path.basename(script);
  const child = fork(script, options.args ?? [], {
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let nextId = 1;
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', resolve));
  child.once('exit', (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`${name} exited (${code ?? signal}) during "${p.cmd}"`));
    pending.clear();
  });

  return new Promise((resolve, reject) => {
    const readyTimer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not become ready in time`));
    }, options.readyTimeoutMs ?? 20_000);
    child.once('exit', (code, signal) => {
      clearTimeout(readyTimer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready`));
    });
    child.on('message', (msg) => {
      if (msg && msg.type === 'ready') {
        clearTimeout(readyTimer);
        resolve({ ready: msg, call, stop, child });
        return;
      }
      if (msg && msg.type === 'failed') {
        clearTimeout(readyTimer);
        child.kill('SIGKILL');
        reject(new Error(`${name}: ${msg.error}`));
        return;
      }
      const p = msg && pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${name} ${p.cmd}: ${msg.error}`));
    });
  });

  function call(cmd, args = {}, timeoutMs = 60_000) {
    if (exited) return Promise.reject(new Error(`${name} has exited`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name} ${cmd}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer, cmd });
      child.send({ id, cmd, args });
    });
  }

  /** Asks the child to exit (command `exit`), kills it if it has not within `timeoutMs`. */
  async function stop(timeoutMs = 5000) {
    if (exited) return;
    call('exit', {}, timeoutMs).catch(() => undefined);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exitPromise;
    clearTimeout(killer);
  }
}

/**
 * Child side: answers `{id, cmd, args}` messages with `handlers[cmd](args)`. `exit` runs
 * `onExit` then exits. The process exits when the parent disconnects or after `lifetimeMs`.
 */
function serveWorker(handlers, { onExit = async () => undefined, lifetimeMs = 15 * 60_000 } = {}) {
  const exit = async (code) => {
    const guard = setTimeout(() => process.exit(code), 3000);
    guard.unref();
    try {
      await onExit();
    } finally {
      process.exit(code);
    }
  };
  process.on('disconnect', () => exit(0));
  setTimeout(() => exit(3), lifetimeMs).unref();
  process.on('message', async (msg) => {
    if (!msg || typeof msg.id !== 'number') return;
    if (msg.cmd === 'exit') {
      process.send({ id: msg.id, ok: true, result: null });
      await exit(0);
      return;
    }
    const handler = handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await handler(msg.args ?? {});
      process.send({ id: msg.id, ok: true, result: result ?? null });
    } catch (err) {
      process.send({ id: msg.id, ok: false, error: err && err.stack ? err.stack : String(err) });
    }
  });
}

module.exports = { spawnWorker, serveWorker };
