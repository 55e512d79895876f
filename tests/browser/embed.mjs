// Drives Debian's Chromium through a survey embedded with embed.js on a page of another
// origin, the way a visitor would: waits for the form, clicks and types, submits, and reports
// what the page showed as one JSON line. Run by tests/integration/browser.rs.
import { chromium } from 'playwright-core';

const [hostUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/responses')) posts.push(r.url()); });
  await page.goto(hostUrl);
  // Playwright's CSS selectors reach into open shadow roots.
  await page.waitForSelector('[data-tingjian-form]', { timeout: 20000 });
  const title = await page.locator('[data-tingjian-form] .tj-title').textContent();
  // Styles must not leak either way: the host's rule colours every <button> and <legend>
  // red, and the survey's own styles must not reach the host's paragraph.
  const surveyButtonColor = await page.locator('[data-tingjian-form] button[type=submit]').evaluate((b) => getComputedStyle(b).color);
  const hostParagraphFont = await page.locator('#host-text').evaluate((p) => getComputedStyle(p).fontFamily);
  // Submitting empty shows the required-question error, nothing is sent.
  await page.click('[data-tingjian-form] button[type=submit]');
  const requiredError = page.locator('[data-question="q1"] .tj-err');
  await requiredError.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
  const requiredShown = await requiredError.isVisible() ? await requiredError.textContent() : null;
  await page.waitForTimeout(300); // time for a request to go out, were one sent
  const postsWhenEmpty = posts.length;
  await page.click('[data-question="q1"] label:has(input[value="3"])');
  await page.fill('[data-question="q2"] textarea', '结账页面太卡了，付款按钮点了没反应');
  await page.click('[data-question="q3"] label:has(input[value="客服"])');
  await page.click('[data-tingjian-form] button[type=submit]');
  await page.waitForSelector('[data-tingjian-thanks]', { state: 'visible', timeout: 20000 });
  const thanks = await page.locator('[data-tingjian-thanks]').textContent();
  await page.screenshot({ path: process.env.SCREENSHOT || '/tmp/tingjian-embed.png', fullPage: true });
  console.log(JSON.stringify({ ok: true, title, surveyButtonColor, hostParagraphFont, requiredShown, postsWhenEmpty, posts: posts.length, thanks, problems }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), problems }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
