'use strict';
// Prints where a V8 .cpuprofile (from `node bench/run.js --cpu-prof=VARIANT`) spent its time:
// the top functions by self time and the totals per file.
//
//   node bench/profile-summary.js FILE.cpuprofile [--top=25]

const fs = require('node:fs');
const path = require('node:path');

function summarize(profile, top) {
  const { nodes, samples, timeDeltas } = profile;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fnTotals = new Map();
  const fileTotals = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const file = cf.url
      ? cf.url
          .replace(/^file:\/\//, '')
          .replace(/.*node_modules\//, 'node_modules/')
          .replace(/.*\/dist\//, 'dist/')
      : `(${cf.functionName || 'native'})`;
    const fn = `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fnTotals.set(fn, (fnTotals.get(fn) ?? 0) + us);
    const group = file.startsWith('node_modules/')
      ? file
          .split('/')
          .slice(0, file.split('/')[1].startsWith('@') ? 3 : 2)
          .join('/')
      : file;
    fileTotals.set(group, (fileTotals.get(group) ?? 0) + us);
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`total sampled: ${(total / 1e3).toFixed(0)} ms`, '', 'top functions by self time:'];
  for (const [fn, us] of [...fnTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${fn}`);
  lines.push('', 'by file / package:');
  for (const [f, us] of [...fileTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${f}`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  const topArg = process.argv.find((a) => a.startsWith('--top='));
  if (!file) {
    process.stderr.write(`usage: node ${path.relative(process.cwd(), __filename)} FILE.cpuprofile [--top=25]\n`);
    process.exit(2);
  }
  process.stdout.write(summarize(JSON.parse(fs.readFileSync(file, 'utf8')), topArg ? Number(topArg.slice(6)) : 25) + '\n');
}

module.exports = { summarize };
