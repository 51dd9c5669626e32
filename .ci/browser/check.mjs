// Checks an exported site in a real browser: axe-core (WCAG 2.0 A/AA,
// 2.1 AA, 2.2 AA) on every page at 320 px and 1280 px, and no horizontal
// overflow at either width, with a screenshot at each; first served over
// HTTP, then opened from file:// as an offline copy would be, where every
// link, asset and form must lead to a file of the export (a folder or a
// root-relative address leads nowhere from a disk).
// usage: node check.mjs SITE_DIR SCREENSHOT_DIR
import { createServer } from 'node:http';
import { readFileSync, readdirSync, statSync, mkdirSync, existsSync, cpSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, extname, relative, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [site, shots] = process.argv.slice(2);
if (!site || !shots) {
  console.error('usage: node check.mjs SITE_DIR SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.xml': 'application/xml', '.json': 'application/json' };
const server = createServer((req, res) => {
  let path = join(site, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
  if (!existsSync(path)) { res.writeHead(404); res.end('not found'); return; }
  res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
  res.end(readFileSync(path));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const pages = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.html')) pages.push('/' + relative(site, path).replaceAll('\\', '/'));
  }
})(site);
pages.sort();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
// Redirect pages of legacy URLs move on at once (meta refresh): serve them
// without the refresh so that the page itself is checked, not its target.
await page.route(`${base}/**`, async (route) => {
  const response = await route.fetch();
  const type = response.headers()['content-type'] ?? '';
  if (!type.startsWith('text/html')) return route.fulfill({ response });
  const body = (await response.text()).replace(/<meta http-equiv="refresh"[^>]*>/, '');
  return route.fulfill({ response, body });
});
let problems = 0;

// axe at both widths, and no horizontal overflow, with a screenshot each.
async function audit(label, path) {
  for (const width of [320, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(async () =>
      await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'] } }));
    for (const v of result.violations) {
      problems += 1;
      console.log(`axe  ${label} ${path} at ${width} px: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) {
      problems += 1;
      console.log(`flow ${label} ${path}: ${overflow} px of horizontal overflow at ${width} px`);
    }
    const name = path.replace(/^\//, '').replaceAll('/', '_').replace(/\.html$/, '');
    await page.screenshot({ path: join(shots, `${label}-${name}-${width}.png`), fullPage: true });
  }
}

for (const path of pages) {
  await page.goto(base + path.replace(/index\.html$/, ''));
  await audit('http', path);
}

// From file://: a copy of the export whose legacy pages do not move on (a
// route cannot rewrite files), with each refresh's target kept to check.
const copy = mkdtempSync(join(tmpdir(), 'tessera-file-'));
cpSync(resolve(site), copy, { recursive: true });
const refreshes = new Map();
for (const path of pages) {
  const file = join(copy, path);
  const html = readFileSync(file, 'utf8');
  const refresh = html.match(/<meta http-equiv="refresh" content="\d+; url=([^"]*)">/);
  if (refresh) {
    refreshes.set(path, refresh[1].replaceAll('&amp;', '&'));
    writeFileSync(file, html.replace(refresh[0], ''));
  }
}
// Where a reference leads from a page opened from disk: a file of the
// copy, or a problem.
function onDisk(reference, resolved) {
  if (reference.startsWith('/') && !reference.startsWith('//')) return 'is root-relative';
  const url = new URL(resolved);
  if (url.protocol !== 'file:') return null;
  const file = fileURLToPath(url);
  if (!file.startsWith(copy)) return 'leaves the export';
  if (!existsSync(file)) return 'names no file';
  if (statSync(file).isDirectory()) return 'names a folder, not a file';
  return null;
}
let references = 0;
for (const path of pages) {
  const url = pathToFileURL(join(copy, path)).href;
  await page.goto(url);
  const found = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('[href], [src], form[action]')) {
      for (const attr of ['href', 'src', 'action']) {
        const raw = el.getAttribute(attr);
        if (raw === null) continue;
        out.push({ tag: el.tagName.toLowerCase(), raw, resolved: new URL(raw, document.baseURI).href });
      }
    }
    return out;
  });
  if (refreshes.has(path)) {
    const raw = refreshes.get(path);
    found.push({ tag: 'meta refresh', raw, resolved: new URL(raw, url).href });
  }
  for (const { tag, raw, resolved } of found) {
    if (raw.startsWith('#')) continue;
    references += 1;
    const problem = onDisk(raw, resolved);
    if (problem) {
      problems += 1;
      console.log(`file ${path}: <${tag}> ${raw} ${problem}`);
    }
  }
  await audit('file', path);
}
rmSync(copy, { recursive: true, force: true });
console.log(`${references} references followed from file://`);
await browser.close();
server.close();
console.log(`${pages.length} pages checked in Chromium, over HTTP and from file://: ${problems} problem(s)`);
process.exit(problems > 0 ? 1 : 0);
