// Runs Lighthouse (performance, accessibility, best practices, SEO) on each
// address given and fails unless every category scores 100, printing the
// audits that cost points.
//
// Lighthouse's desktop preset is used: simulated throttling with desktop
// settings (a fast connection, no CPU slowdown factor of 4). Mobile
// throttling on a small CI machine that runs other builds at the same time
// turns the performance score into a measure of the machine's load; the
// simulated desktop run is computed from the page's own trace and stays
// steady. Chromium is Debian's (CHROME_PATH, default /usr/bin/chromium).
//
// usage: node run.mjs URL [URL...]
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';

const urls = process.argv.slice(2);
if (urls.length === 0) {
  console.error('usage: node run.mjs URL [URL...]');
  process.exit(2);
}
const categories = ['performance', 'accessibility', 'best-practices', 'seo'];

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
let failed = 0;
try {
  for (const url of urls) {
    const result = await lighthouse(
      url,
      { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: categories },
      desktopConfig,
    );
    const lhr = result?.lhr;
    if (!lhr) {
      failed += 1;
      console.log(`${url}: Lighthouse returned nothing`);
      continue;
    }
    if (lhr.runtimeError) {
      failed += 1;
      console.log(`${url}: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
      continue;
    }
    const scores = categories.map((id) => Math.round((lhr.categories[id]?.score ?? 0) * 100));
    console.log(`${scores.join('/')}  ${url}`);
    for (const id of categories) {
      const category = lhr.categories[id];
      if (category?.score === 1) continue;
      failed += 1;
      for (const ref of category?.auditRefs ?? []) {
        const audit = lhr.audits[ref.id];
        if (!audit || audit.score === null || audit.score === 1) continue;
        if (ref.weight === 0 && audit.scoreDisplayMode !== 'binary') continue;
        const value = audit.displayValue ? ` (${audit.displayValue})` : '';
        console.log(`  ${id}: ${ref.id} scored ${Math.round(audit.score * 100)}${value}: ${audit.title}`);
        for (const item of audit.details?.items ?? []) {
          const what = item.node?.snippet ?? item.url ?? item.description ?? item.source?.url ?? JSON.stringify(item);
          console.log(`    ${String(what).slice(0, 200)}`);
        }
      }
    }
  }
} finally {
  await chrome.kill();
}
console.log(failed === 0 ? `${urls.length} address(es): 100 in every category` : `${failed} failure(s): a category below 100, or a page Lighthouse could not load`);
process.exit(failed === 0 ? 0 : 1);
