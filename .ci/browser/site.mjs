// Runs axe-core (WCAG 2.0 A/AA, 2.1 AA, 2.2 AA) in Chromium on pages that a
// running `tessera serve` renders live: the home page, a page, a story and
// a search results page, plus the "not found" page. Fails on any violation.
// usage: node site.mjs http://127.0.0.1:PORT
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [base] = process.argv.slice(2);
if (!base) {
  console.error('usage: node site.mjs BASE_URL');
  process.exit(2);
}
const paths = [
  '/',
  '/pages/civil-society-partnerships/',
  '/stories/its-about-ability/',
  '/search?q=children',
  '/search?q=montenagro',
  '/no-such-page',
];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const page = await browser.newPage();
let problems = 0;
for (const path of paths) {
  const response = await page.goto(base + path);
  const expected = path === '/no-such-page' ? 404 : 200;
  if (response.status() !== expected) {
    problems += 1;
    console.log(`http ${path}: status ${response.status()}, expected ${expected}`);
  }
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
  }
}
await browser.close();
console.log(`${paths.length} served pages checked in Chromium: ${problems} problem(s)`);
process.exit(problems > 0 ? 1 : 0);
