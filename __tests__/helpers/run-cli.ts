import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'bin', 'agent-stream.js');

export interface RunningCli {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `agent-stream serve …` (the built CLI; `env`: its environment, default ours) and resolves with the URL it prints. */
export function startCli(args: string[], timeoutMs = 10_000, env?: NodeJS.ProcessEnv): Promise<RunningCli> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not start: ${out}${err}`));
    }, timeoutMs);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^agent-stream listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, url: m[1]!, stderr: () => err, stdout: () => out, exited });
      }
    });
    exited.then(({ code }) => {
      clearTimeout(t);
      reject(new Error(`CLI exited with ${code}: ${out}${err}`));
    });
  });
}
