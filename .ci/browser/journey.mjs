// A reader's journey through a real `tessera serve` in Chromium: the home
// page, a query typed into the search form, its hits, the first result;
// then, on a site with several locales, the language links in the footer
// lead to the same page in another language (`<html lang>` changes).
// usage: node journey.mjs SITE_URL MULTILINGUAL_SITE_URL [QUERY]
import { chromium } from 'playwright-core';

const [base, multilingual, query = 'children'] = process.argv.slice(2);
if (!base || !multilingual) {
  console.error('usage: node journey.mjs SITE_URL MULTILINGUAL_SITE_URL [QUERY]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const page = await browser.newPage();
const steps = [];
function step(what) {
  steps.push(what);
  console.log(`ok   ${what}`);
}
function fail(what) {
  throw new Error(what);
}

try {
  // Home, then the search form by its label, as a reader finds it.
  const home = await page.goto(`${base}/`);
  if (home?.status() !== 200) fail(`home: status ${home?.status()}`);
  step('the home page opens');
  const box = page.getByLabel('New enhanced search');
  await box.fill(query);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/search'),
    page.getByRole('search').getByRole('button', { name: 'Search' }).click(),
  ]);
  if (new URL(page.url()).searchParams.get('q') !== query) fail(`the search page was asked ${page.url()}`);
  step(`the form sends “${query}” to ${new URL(page.url()).pathname}`);

  // Hits: each a heading with a link in the list of results.
  const hits = page.locator('main ol li h2 a');
  const count = await hits.count();
  if (count === 0) fail(`no hits for “${query}”: ${await page.locator('main').innerText()}`);
  const summary = await page.locator('main > p').first().innerText();
  if (!/results? for/.test(summary)) fail(`no count of results: ${summary}`);
  step(`${count} hit(s) shown (${summary})`);

  // The first result leads to its page, titled as the hit says.
  const first = hits.first();
  const title = (await first.innerText()).trim();
  const href = await first.getAttribute('href');
  await Promise.all([page.waitForURL((url) => url.pathname === href), first.click()]);
  const h1 = (await page.locator('main h1').innerText()).trim();
  if (h1 !== title) fail(`the first hit “${title}” led to a page titled “${h1}”`);
  step(`the first hit leads to ${href}, “${h1}”`);

  // Another language from the footer, on a site that has several.
  const start = await page.goto(`${multilingual}/`);
  if (start?.status() !== 200) fail(`multilingual home: status ${start?.status()}`);
  const before = await page.locator('html').getAttribute('lang');
  const other = page.locator(`footer a[hreflang]:not([hreflang="${before}"])`).first();
  if ((await other.count()) === 0) fail('no link to another language in the footer');
  const target = await other.getAttribute('hreflang');
  const name = (await other.innerText()).trim();
  await Promise.all([page.waitForLoadState('load'), other.click()]);
  await page.waitForFunction((lang) => document.documentElement.lang === lang, target);
  const after = await page.locator('html').getAttribute('lang');
  if (after === before || after !== target) fail(`<html lang> is ${after} after following “${name}” (was ${before})`);
  step(`the footer's “${name}” link switches <html lang> from ${before} to ${after} (${new URL(page.url()).pathname})`);
} catch (e) {
  console.log(`FAIL ${e.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(`journey: ${steps.length} steps passed`);
