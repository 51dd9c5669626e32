// Checks an exported site in a real browser: axe-core (WCAG 2.0 A/AA,
// 2.1 AA, 2.2 AA) on every page, and no horizontal overflow at 320 px and
// 1280 px, with a screenshot at each width.
// usage: node check.mjs SITE_DIR SCREENSHOT_DIR
import { createServer } from 'node:http';
import { readFileSync, readdirSync, statSync, mkdirSync, existsSync } from 'node:fs';
import { join, extname, relative } from 'node:path';
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
for (const path of pages) {
  const url = base + path.replace(/index\.html$/, '');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(url);
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'] } }));
  for (const v of result.violations) {
    problems += 1;
    console.log(`axe  ${path}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  for (const width of [320, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) {
      problems += 1;
      console.log(`flow ${path}: ${overflow} px of horizontal overflow at ${width} px`);
    }
    const name = path.replace(/^\//, '').replaceAll('/', '_').replace(/\.html$/, '');
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
}
await browser.close();
server.close();
console.log(`${pages.length} pages checked in Chromium: ${problems} problem(s)`);
process.exit(problems > 0 ? 1 : 0);
