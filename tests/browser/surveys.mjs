// Drives Debian's Chromium through the console's survey builder as an editor would: signs in,
// builds a survey (a mistake first, to see the API's error next to the form), saves it, sees
// the preview, closes and reopens it, copies its embed snippet and finds it listed. Prints one
// JSON line for tests/integration/console_surveys.rs.
import { chromium } from 'playwright-core';

const [base, workspace, email, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const report = { ok: false };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The console's home page may not exist on this branch, and the mistake's save answers
    // 422 on purpose; everything else must load.
    if (m.type() === 'error' && !/status of (404|422)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => d.accept());
  const ws = `${base}/console/w/${workspace}`;

  await page.goto(`${base}/console/login?next=${encodeURIComponent(`/console/w/${workspace}/surveys`)}`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);

  await page.goto(`${ws}/surveys/new`);
  await page.fill('input[name=title]', '门店服务回访');
  // The product's name, colour and privacy note (品牌).
  await page.fill('input[name=product_name]', '鲜到家');
  await page.fill('input[name=accent_color]', '#0A7');
  await page.fill('input[name=privacy_url]', 'https://shop.example/privacy');
  await page.selectOption('[data-add-type]', 'single_choice');
  await page.click('[data-add-question]');
  const third = page.locator('[data-question]').nth(2);
  await third.locator('[data-field=title]').fill('你是在哪里下单的？');
  // No options yet: the API refuses, and says where.
  await page.click('form[data-survey-builder] button[type=submit]');
  const status = page.locator('form[data-survey-builder] .form-status');
  await status.waitFor({ state: 'visible', timeout: 10000 });
  report.errorShown = await status.textContent();
  report.invalidMarked = await third.getAttribute('aria-invalid');
  await third.locator('[data-field=options]').fill('App\n小程序\n门店');
  // Shown only to detractors: a condition on the first (NPS) question's score.
  await third.locator('[data-field=show_if]').selectOption('q1');
  await third.locator('[data-field=max]').fill('6');
  await Promise.all([
    page.waitForURL(/\/edit\?saved=1$/, { timeout: 15000 }),
    page.click('form[data-survey-builder] button[type=submit]'),
  ]);
  report.surveyId = page.url().split('/surveys/')[1].split('/')[0];
  report.savedNotice = await page.locator('.notice').textContent();
  const preview = page.frameLocator('iframe.preview-frame');
  await preview.locator('[data-tingjian-form]').waitFor({ timeout: 10000 });
  report.previewTitle = (await preview.locator('.tj-title').first().textContent()).trim();
  report.previewBrand = (await preview.locator('.tj-brand').textContent()).trim();
  report.previewAccent = await preview.locator('button[type=submit]').evaluate((b) => getComputedStyle(b).backgroundColor);

  // A site not allowed asks for the survey (Node may send any Origin): the editor sees it
  // named in the builder and adds it with one click and a save.
  const refused = await fetch(`${base}/s/${report.surveyId}/definition.json`, { headers: { Origin: 'https://m.shop.example' } });
  report.refusedStatus = refused.status;
  await page.reload();
  report.refusedNamed = (await page.locator('[data-refused-embeds] [data-refused-origin]').textContent()).trim();
  await page.click('[data-add-origin="https://m.shop.example"]');
  report.originsAfterAdd = await page.locator('textarea[name=allowed_origins]').inputValue();
  // Already at …/edit?saved=1: wait for the save's navigation itself.
  await Promise.all([
    page.waitForNavigation({ timeout: 15000 }),
    page.click('form[data-survey-builder] button[type=submit]'),
  ]);
  report.warningAfterSave = await page.locator('[data-refused-embeds]').count();

  // Close it, then open it again.
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("关闭问卷")')]);
  report.statusAfterClose = (await page.locator('.page-head h1 .tag').textContent()).trim();
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("重新开放")')]);
  report.statusAfterOpen = (await page.locator('.page-head h1 .tag').textContent()).trim();

  // Share: copy the embed snippet.
  await page.click('.subnav a:has-text("分享")');
  await page.click('button[data-copy-from="snippet-script"]');
  await page.locator('.toast').waitFor({ state: 'visible', timeout: 5000 });
  report.toast = await page.locator('.toast').textContent();
  report.clipboard = await page.evaluate(() => navigator.clipboard.readText());
  report.qrLoaded = await page.locator('img.qr').evaluate((img) => img.complete && img.naturalWidth > 0);

  // Listed.
  await page.goto(`${ws}/surveys`);
  report.listed = await page.locator(`tr[data-survey="${report.surveyId}"]`).textContent();
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  report.ok = true;
} catch (e) {
  report.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
report.problems = problems;
console.log(JSON.stringify(report));
