'use strict';
// The bench's nginx: docs/deploy.md's nginx block as written (as the e2e tests run it; see
// __tests__/helpers/nginx.ts), on a free port of 127.0.0.1 in front of the given nodes.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { childPids, freePort } = require('./procs');

/** docs/deploy.md's nginx configuration for `upstreams` (host:port) on 127.0.0.1:`port`. */
function nginxHttpConfig(upstreams, port) {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
  const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length !== 1) throw new Error(`docs/deploy.md should hold one nginx block, found ${blocks.length}`);
  let conf = blocks[0].replace(/^(\s*)listen 443 ssl;\n\s*server_name [^;]+;$/m, `$1listen 127.0.0.1:${port} backlog=4096;`);
  conf = conf.replace(/(upstream \S+ \{\n)((?:\s*server [^\n]+\n)+)/g, (_all, head, servers) => {
    const params = /^\s*server \S+?((?: [^;]+)?);/m.exec(servers)[1];
    return head + upstreams.map((u) => `  server ${u}${params};\n`).join('');
  });
  return conf;
}

/** Starts nginx (`workers` worker processes) in front of `upstreams`: `{ child, url, stop() }` (its workers are the master's children). */
async function startNginx(upstreams, workers = 1) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nginx-'));
  fs.chmodSync(dir, 0o777);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${dir}/${k};`).join('\n');
  const conf = `daemon off;
worker_processes ${workers};
worker_rlimit_nofile 65536;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 20000; }
http {
  access_log off;
${temp}
${nginxHttpConfig(upstreams, port)}
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const bin = fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const child = spawn(bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (i > 200) throw new Error('nginx did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    child,
    url,
    stop() {
      const workers = childPids(child.pid);
      child.kill('SIGKILL');
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { nginxHttpConfig, startNginx };
