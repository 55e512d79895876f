// Takes the README's screenshots of the console's everyday pages (home, a pain point, the
// inbox, one feedback item) on a desktop (1280 wide) and a phone (390 wide), from a running
// demo: `tingjian --data-dir DIR demo`, then `tingjian --data-dir DIR serve --bind ADDR`, then
//   node tests/browser/screenshots.mjs http://ADDR docs/screenshots
// Not a test: a person looks at the pictures. Long pages are cut at 1800 px (desktop) and
// 2400 px (phone).
import { chromium } from 'playwright-core';

const [base, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--font-render-hinting=none',
    // Date fields drawn as a browser in China draws them (2026/12/06, not 12/06/2026): this
    // takes Debian's chromium-l10n and both the flag and LANG.
    '--lang=zh-CN'],
  env: { ...process.env, LANG: 'zh_CN.UTF-8' },
});
const home = `${base}/console/w/ws_demo`;
const problems = [];

async function shoot(page, name, device, maxHeight) {
  // Lazy charts drawn first, then back to the top so the sticky header sits where it belongs.
  for (const img of await page.locator('img').all()) {
    await img.scrollIntoViewIfNeeded();
    await img.evaluate((el) => el.complete ? null
      : new Promise((done) => { el.onload = done; el.onerror = done; }));
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const width = page.viewportSize().width;
  await page.screenshot({
    path: `${out}/${name}-${device}.png`,
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, maxHeight) },
  });
}

try {
  for (const [device, viewport, maxHeight] of [['desktop', { width: 1280, height: 900 }, 1800], ['phone', { width: 390, height: 844 }, 2400]]) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`${device}: ${e.message}`));
    await page.goto(home);
    await page.fill('input[name=email]', 'demo@example.com');
    await page.fill('input[name=password]', 'tingjian-demo');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await shoot(page, 'home', device, maxHeight);
    // Crashes over 30 days: the demo's story puts them on Android 3.2, so the page shows the
    // segment where they are over-represented.
    await page.goto(`${home}/pain-points/crash?period=month`);
    await shoot(page, 'pain-point', device, maxHeight);
    await page.goto(`${home}/inbox`);
    await shoot(page, 'inbox', device, maxHeight);
    // A survey answer with its question, from a respondent who said something else too.
    await page.goto(`${home}/inbox?channel=survey`);
    const links = await page.locator('ul.items > li.item a:has-text("详情")').evaluateAll((as) => as.map((a) => a.href));
    for (const link of links) {
      await page.goto(link);
      const others = await page.locator('section:has(h2:has-text("这位用户的其他反馈")) li').count();
      if (others > 0 && await page.locator('.detail blockquote').count() > 0) break;
    }
    await shoot(page, 'feedback', device, maxHeight);
    await context.close();
  }
} finally {
  console.log(JSON.stringify({ problems }));
  await browser.close();
}
