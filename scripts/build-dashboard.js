#!/usr/bin/env node
// Bundles the dashboard (src/dashboard/main.tsx, React included, minified, no CDN) with esbuild into
// <outDir>/dashboard.js and copies src/dashboard/index.html and dashboard.css (plus <AgentStream>'s
// styles) beside it. The page
// loads both from the server's own origin and has no inline script or style, so it passes the
// server's Content-Security-Policy (script-src 'self'; style-src 'self'). Run after tsc:
//   node scripts/build-dashboard.js [outDir]      (default dist/public)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** AGENT_STREAM_CSS of src/react/agent-stream-styles.ts (bundled and evaluated: no dist/ needed). */
async function agentStreamCss(esbuild) {
  const r = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/react/agent-stream-styles.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const mod = { exports: {} };
  new Function('module', 'exports', r.outputFiles[0].text)(mod, mod.exports);
  if (typeof mod.exports.AGENT_STREAM_CSS !== 'string') throw new Error('src/react/agent-stream-styles.ts has no AGENT_STREAM_CSS');
  return mod.exports.AGENT_STREAM_CSS;
}

/**
 * Builds the dashboard into `outDir`; resolves to the paths written.
 * @param {{ outDir?: string, minify?: boolean }} [options]
 * @returns {Promise<{ html: string, script: string, css: string, bytes: number }>}
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
  const html = fs.readFileSync(path.join(ROOT, 'src/dashboard/index.html'), 'utf8');
  // The CSP refuses inline code: every script and style must come from a file.
  if (/<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=/i.test(html))
    throw new Error('src/dashboard/index.html has inline script or style: the Content-Security-Policy would refuse it');
  fs.mkdirSync(outDir, { recursive: true });
  const script = path.join(outDir, 'dashboard.js');
  const htmlPath = path.join(outDir, 'index.html');
  const css = path.join(outDir, 'dashboard.css');
  fs.writeFileSync(script, js);
  fs.writeFileSync(htmlPath, html);
  // <AgentStream>'s own styles (it renders them in a <style> element unless `unstyled`) go in the file too.
  const styles = `${fs.readFileSync(path.join(ROOT, 'src/dashboard/dashboard.css'), 'utf8')}\n${await agentStreamCss(esbuild)}`;
  fs.writeFileSync(css, (await esbuild.transform(styles, { loader: 'css', minify: options.minify ?? true })).code);
  return { html: htmlPath, script, css, bytes: Buffer.byteLength(js) };
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
