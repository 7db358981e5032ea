#!/usr/bin/env node
// Bundles the dashboard (src/dashboard/main.tsx, React included, minified, no CDN) with esbuild into
// <outDir>/dashboard.js and writes <outDir>/index.html with the same script inlined, so the page
// is one self-contained file (GET / is enough; /dashboard.js may be served too). Run after tsc:
//   node scripts/build-dashboard.js [outDir]      (default dist/public)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PLACEHOLDER = '<script>/*DASHBOARD_SCRIPT*/</script>';

/**
 * Builds the dashboard into `outDir`; resolves to the paths written.
 * @param {{ outDir?: string, minify?: boolean }} [options]
 * @returns {Promise<{ html: string, script: string, bytes: number }>}
 */
async function buildDashboard(options = {}) {
  const esbuild = require('esbuild');
  const outDir = path.resolve(ROOT, options.outDir ?? 'dist/public');
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/dashboard/main.tsx')],
    bundle: true,
    minify: options.minify ?? true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
    tsconfig: path.join(ROOT, 'tsconfig.json'),
  });
  const js = result.outputFiles[0].text;
  const template = fs.readFileSync(path.join(ROOT, 'src/dashboard/index.html'), 'utf8');
  if (!template.includes(PLACEHOLDER)) throw new Error('src/dashboard/index.html has no script placeholder');
  // "</script" inside the inlined code would end the element; "<\/script" means the same in JS.
  const inline = js.replace(/<\/(script)/gi, '<\\/$1');
  const html = template.replace(PLACEHOLDER, () => `<script>${inline}</script>`);
  fs.mkdirSync(outDir, { recursive: true });
  const script = path.join(outDir, 'dashboard.js');
  const htmlPath = path.join(outDir, 'index.html');
  fs.writeFileSync(script, js);
  fs.writeFileSync(htmlPath, html);
  return { html: htmlPath, script, bytes: Buffer.byteLength(js) };
}

module.exports = { buildDashboard };

if (require.main === module) {
  buildDashboard({ outDir: process.argv[2] }).then(
    (r) => console.log(`dashboard: ${path.relative(ROOT, r.html)}, ${path.relative(ROOT, r.script)} (${Math.round(r.bytes / 1024)} KiB)`),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
