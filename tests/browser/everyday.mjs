// Drives Debian's Chromium through an editor's morning in the console: sign in, the home page
// and its charts, 近 30 天 and a segment, the first pain point, its feedback in the inbox,
// a search, a label corrected in place, two corrected in bulk, 导出 Excel, one item; then the
// same pages on a 390 px phone. Every page is watched for script
// errors and Content-Security-Policy violations. Reports one JSON line; run by
// tests/integration/browser.rs.
import { chromium } from 'playwright-core';

const [base, workspace, email, password, word] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const report = { ok: false, problems, desktop: {}, phone: {} };
const shot = process.env.SCREENSHOT || '/tmp/tingjian-everyday.png';

async function newPage(viewport) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  // Init scripts run outside the page's CSP, so this listener sees what the policy refused.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console on ${new URL(page.url()).pathname}: ${m.text()}`);
  });
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if ((path.startsWith('/static/') || path.startsWith('/console/')) && r.status() >= 400) {
      problems.push(`${r.status()}: ${path}`);
    }
  });
  return page;
}

async function signIn(page, to) {
  await page.goto(to);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

const pathOf = (page) => new URL(page.url()).pathname;
const pathAndQuery = (page) => { const u = new URL(page.url()); return u.pathname + u.search; };
const text = async (loc) => ((await loc.first().textContent()) || '').replace(/\s+/g, ' ').trim();
const width = (page) => page.evaluate(() => document.documentElement.scrollWidth);

// The five headline cards in their order, each with its value and its sample size.
async function metrics(page) {
  const keys = ['nps', 'csat', 'ces', 'sentiment', 'volume'];
  const cards = await page.locator('.metrics .metric').evaluateAll((els) => els.map((e) => ({
    name: e.querySelector('.label').textContent.trim(),
    value: e.querySelector('.value').textContent.trim(),
    n: (e.querySelector('.n') || { textContent: '' }).textContent.trim().split(' ')[0],
  })));
  return Object.fromEntries(cards.map((c, i) => [keys[i] || c.name, c]));
}

// Each chart scrolled into view (they load lazily) until it is drawn: its natural widths.
async function chartWidths(page) {
  const charts = page.locator('img.chart');
  const widths = [];
  for (let i = 0; i < await charts.count(); i++) {
    const img = charts.nth(i);
    await img.scrollIntoViewIfNeeded();
    await img.evaluate((el) => el.complete && el.naturalWidth > 0 ? null
      : new Promise((done) => { el.addEventListener('load', done, { once: true }); el.addEventListener('error', done, { once: true }); }));
    widths.push(await img.evaluate((el) => el.naturalWidth));
  }
  return widths;
}

async function reloadAfter(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
  await page.waitForLoadState('networkidle');
}

try {
  const page = await newPage({ width: 1280, height: 900 });
  const home = `${base}/console/w/${workspace}`;

  // Sign in; the console opens on the workspace's home page.
  await signIn(page, home);
  report.landed = pathOf(page);
  report.home = {
    heading: await text(page.locator('main h1')),
    ...await metrics(page),
    charts: await chartWidths(page),
    firstPain: await text(page.locator('.pain-list .pain-name')),
  };
  report.desktop.home = await width(page);

  // 近 30 天, and only Android users (a respondent attribute), through the picker.
  await page.check('.picker input[name=period][value=month]');
  await page.click('.picker details.attr summary');
  await page.fill('.picker input[name=attr_key]', 'os');
  await page.fill('.picker input[name=attr_value]', 'android');
  await Promise.all([page.waitForNavigation(), page.click('.picker button[type=submit]')]);
  report.narrowed = {
    url: pathAndQuery(page),
    heading: await text(page.locator('main h1')),
    ...await metrics(page),
    charts: await chartWidths(page),
    firstPain: await text(page.locator('.pain-list .pain-name')),
  };

  // The first pain point's page.
  await Promise.all([page.waitForNavigation(), page.locator('.pain-list .pain-name').first().click()]);
  report.pain = {
    url: pathAndQuery(page),
    heading: (await text(page.locator('main h1'))).split(' ')[0],
    trendBars: await page.locator('section:has(h2:has-text("趋势")) .bar-row').count(),
    channels: await text(page.locator('section:has(h2:has-text("来自哪些渠道")) .bars')),
    segments: await text(page.locator('section:has(h2:has-text("哪些人群里更多"))')),
    allLink: await text(page.locator('.page-head a.button')),
  };
  report.desktop.pain = await width(page);

  // Its feedback in the inbox, then searched for a word through the filter form.
  await Promise.all([page.waitForNavigation(), page.locator('.page-head a.button:has-text("查看全部")').click()]);
  report.inbox = {
    url: pathAndQuery(page),
    painPointSelected: await page.locator('form.filters select[name=pain_point]').inputValue(),
    total: await text(page.locator('.toolbar .total')),
    items: await page.locator('ul.items > li.item').count(),
  };
  report.inbox.total = report.inbox.total.split(' 负面')[0];
  await page.fill('form.filters input[name=q]', word);
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
  report.inbox.searchedUrl = pathAndQuery(page);
  report.inbox.searchedTotal = (await text(page.locator('.toolbar .total'))).split(' 负面')[0];
  const texts = await page.locator('ul.items > li.item p.text').allTextContents();
  report.inbox.searchedItems = texts.length;
  report.inbox.searchedAllHaveWord = texts.length > 0 && texts.every((t) => t.includes(word));
  report.desktop.inbox = await width(page);

  // Correct the first item's label in place: 修正标签, 褒贬混合, 保存修正; the page reloads.
  const first = page.locator('ul.items > li.item').first();
  const id = await first.locator('.pick input[type=checkbox]').inputValue();
  await first.locator('details.correct summary').click();
  await first.locator('details.correct input[name=sentiment][value=mixed]').check();
  await reloadAfter(page, () => first.locator('details.correct button[type=submit]').click());
  const again = page.locator(`ul.items > li.item:has(input[value="${id}"])`);
  report.corrected = {
    id,
    url: pathAndQuery(page),
    fixedTag: await again.locator('.tag.fixed').count() === 1,
    sentimentTag: await text(again.locator('p.labels .tag').first()),
  };

  // Pick the next two and correct them together through the bulk bar.
  const rows = page.locator('ul.items > li.item');
  const ids = [];
  for (const i of [1, 2]) {
    const box = rows.nth(i).locator('.pick input[type=checkbox]');
    ids.push(await box.inputValue());
    await box.check();
  }
  await page.locator('section.bulk:not([hidden])').waitFor();
  report.bulk = { ids, barCount: await text(page.locator('section.bulk [data-picked]')) };
  await page.selectOption('section.bulk select[name=sentiment]', 'neutral');
  await page.selectOption('section.bulk select[name="add_pain_points[]"]', 'bug');
  await reloadAfter(page, () => page.click('section.bulk button[type=submit]'));
  let fixed = 0;
  for (const i of ids) fixed += await page.locator(`ul.items > li.item:has(input[value="${i}"]) .tag.fixed`).count();
  report.bulk.fixedTags = fixed;
  await page.screenshot({ path: shot, fullPage: true });

  // 导出 Excel: a spreadsheet named .xlsx, not empty (the status first, so a missing route is
  // reported as such rather than as a download that never came).
  const exportLink = page.locator('a.button:has-text("导出 Excel")');
  const exportHref = await exportLink.getAttribute('href');
  const offered = await page.request.get(new URL(exportHref, base).href, { maxRedirects: 0 });
  report.exportStatus = offered.status();
  if (offered.status() === 200) {
    const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()]);
    const path = await download.path();
    const { statSync } = await import('node:fs');
    report.export = { name: download.suggestedFilename(), size: statSync(path).size };
  }

  // One item's page.
  await Promise.all([page.waitForNavigation(), page.locator(`ul.items > li.item:has(input[value="${id}"]) a:has-text("详情")`).click()]);
  report.detail = { url: pathOf(page), heading: await text(page.locator('main h1')) };
  report.desktop.detail = await width(page);

  // The same pages on a phone.
  const phone = await newPage({ width: 390, height: 844 });
  await signIn(phone, home);
  report.phoneCharts = await chartWidths(phone);
  // A date typed in the picker makes the period 自定义: two weeks ending today.
  const to = await phone.locator('.picker input[name=to]').inputValue();
  const from = new Date(Date.parse(to) - 13 * 86400e3).toISOString().slice(0, 10);
  await phone.fill('.picker input[name=from]', from);
  report.custom = { from, to, checked: await phone.locator('.picker input[name=period][value=custom]').isChecked() };
  await Promise.all([phone.waitForNavigation(), phone.click('.picker button[type=submit]')]);
  report.custom.url = pathAndQuery(phone);
  report.custom.heading = await text(phone.locator('main h1'));
  report.phone.home = await width(phone);
  await phone.goto(`${base}${report.pain.url}`);
  report.phone.pain = await width(phone);
  await phone.goto(`${base}${report.inbox.searchedUrl}`);
  report.phone.inbox = await width(phone);
  await phone.goto(`${base}${report.detail.url}`);
  report.phone.detail = await width(phone);
  report.ok = true;
} catch (e) {
  report.error = String(e && e.stack || e);
  process.exitCode = 1;
} finally {
  console.log(JSON.stringify(report));
  await browser.close();
}
