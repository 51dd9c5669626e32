// Opens the GraphQL explorer of a running server in Chromium with every
// request to another host refused (as offline, or behind a firewall), and
// checks that the documentation explorer shows the schema.
// usage: node graphiql.mjs http://127.0.0.1:PORT
import { chromium } from 'playwright-core';

const [base] = process.argv.slice(2);
if (!base) {
  console.error('usage: node graphiql.mjs BASE_URL');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless'] });
const page = await browser.newPage();
const refused = [];
await page.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith(base)) return route.continue();
  refused.push(url);
  return route.abort();
});
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
try {
  await page.goto(`${base}/graphiql`);
  await page.waitForSelector('.graphiql-container', { timeout: 20000 });
  await page.click('button[aria-label="Show Documentation Explorer"]');
  // The root type, then one of its fields with its description.
  await page.getByText('Query', { exact: true }).first().waitFor({ timeout: 20000 });
  await page.getByRole('link', { name: 'Query' }).first().click();
  await page.getByText('One page by slug', { exact: false }).first().waitFor({ timeout: 20000 });
} catch (e) {
  console.error(`the explorer did not show the schema: ${e}`);
  console.error(`refused: ${refused.join(', ') || 'nothing'}; errors: ${errors.join(' | ') || 'none'}`);
  await page.screenshot({ path: 'graphiql-failure.png' });
  await browser.close();
  process.exit(1);
}
await browser.close();
if (refused.length > 0) {
  console.error(`the explorer asked for files elsewhere: ${refused.join(', ')}`);
  process.exit(1);
}
console.log('GraphiQL: the documentation explorer shows the schema with the network blocked');
