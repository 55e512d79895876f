// Drives Debian's Chromium through the console's manage pages as an admin would: signs in,
// subscribes an address to the digest and reads the digest's preview in its sandboxed frame,
// connects a 问卷星 source and a CSV import through their forms, makes an API key and sees it
// once. Prints one JSON line for tests/integration/console_manage.rs; with SHOTS set, leaves
// desktop (1280 px) and phone (390 px) screenshots of every manage page there.
import { chromium } from 'playwright-core';

const [base, workspace, email, password] = process.argv.slice(2);
const shots = process.env.SHOTS || '';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const report = {};
const ws = `${base}/console/w/${workspace}`;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('dialog', (d) => d.accept());

  await page.goto(`${base}/console/login?next=${encodeURIComponent(`/console/w/${workspace}/manage/subscriptions`)}`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/manage\/subscriptions/), page.click('button[type=submit]')]);

  // A subscription by mail, through the page's form.
  const mailForm = page.locator('form:has(input[name=email])');
  await mailForm.locator('input[name=email]').fill('ops@example.com');
  await mailForm.locator('select[name=hour]').selectOption('8');
  await Promise.all([page.waitForLoadState('load'), page.waitForEvent('framenavigated'), mailForm.locator('button[type=submit]').click()]);
  await page.waitForSelector('text=邮件 ops@example.com');
  report.subscription = (await page.locator('table').first().innerText()).replace(/\s+/g, ' ');
  // The digest preview, inside its sandboxed frame.
  const frame = page.frameLocator('iframe.digest-frame');
  await frame.locator('body').waitFor({ timeout: 20000 });
  report.previewText = (await frame.locator('body').innerText()).replace(/\s+/g, ' ').slice(0, 2000);
  report.previewImages = await frame.locator('img').count();
  report.previewImagesLoaded = await frame.locator('img').evaluateAll((imgs) => imgs.filter((i) => i.complete && i.naturalWidth > 0).length);
  report.sandbox = await page.locator('iframe.digest-frame').getAttribute('sandbox');

  // A 问卷星 source through the connect form: its address, with its token, shown once.
  await page.goto(`${ws}/manage/sources`);
  await page.selectOption('select[data-choose]', 'wjx');
  const wjx = page.locator('form[data-choice=wjx]');
  await wjx.locator('input[name=name]').fill('问卷星 售后回访');
  await wjx.locator('input[name="score_questions.nps"]').fill('q7');
  await wjx.locator('button[type=submit]').click();
  await page.locator('#source-created').waitFor({ state: 'visible', timeout: 10000 });
  report.sourceUrl = await page.locator('#source-created [data-field=url]').textContent();
  report.sourceSecretRowHidden = await page.locator('#source-created [data-field-row=secret]').isHidden();
  report.sourceProtection = await page.locator('#source-created [data-field="protection.detail"]').textContent();
  await page.locator('#source-created [data-copy-from=url]').click();
  report.copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
  if (shots) await page.screenshot({ path: `${shots}/sources-created-1280.png` });
  await page.reload();
  report.sourceListed = await page.locator('table.sources').innerText();
  report.tokenListedAfter = (await page.content()).includes('?token=');

  // A CSV import: the header offers the columns, the file goes as it is, the report shows.
  await page.goto(`${ws}/manage/import`);
  const csv = '\uFEFF编号,评论内容,星级,城市,提交时间\n1,APP 闪退，登录不了,1星,北京,2026/11/01 09:30\n2,,5,上海,2026-11-02\n3,很好用 👍,★★★★☆,广州,2026年11月03日 08:00\n';
  await page.setInputFiles('form[data-import] input[type=file]', { name: 'reviews.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('.import-columns').waitFor({ state: 'visible' });
  report.guessedText = await page.locator('select[data-map=text]').inputValue();
  report.guessedRating = await page.locator('select[data-map=rating]').inputValue();
  report.guessedTime = await page.locator('select[data-map=occurred_at]').inputValue();
  report.guessedId = await page.locator('select[data-map=external_id]').inputValue();
  await page.locator('[data-attr-choices] label:has-text("城市") input').check();
  await page.fill('form[data-import] input[name=source]', 'appstore');
  await page.click('form[data-import] button[type=submit]');
  await page.locator('.import-report').waitFor({ state: 'visible', timeout: 10000 });
  report.importStored = await page.locator('[data-report=stored]').textContent();
  report.importRejected = (await page.locator('[data-report-rows]').innerText()).replace(/\s+/g, ' ');
  if (shots) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${shots}/import-1280.png`, fullPage: true });
  }

  // An interview from a subtitle file: the file fills the transcript, its format and title;
  // the time typed is in the workspace's zone.
  await page.goto(`${ws}/manage/interviews`);
  const srt = '1\n00:00:01,000 --> 00:00:04,000\n主持人：你平时怎么用导出功能？\n\n2\n00:00:05,000 --> 00:00:09,000\n用户：每周导一次，但是经常卡住，只好手动复制。\n';
  await page.setInputFiles('input[data-read-into=transcript]', { name: '可用性测试 05.srt', mimeType: 'application/x-subrip', buffer: Buffer.from(srt) });
  await page.waitForFunction(() => document.querySelector('textarea[name=transcript]').value.includes('导出'));
  report.interviewFormat = await page.locator('select[name=format]').inputValue();
  report.interviewTitle = await page.locator('input[name=title]').inputValue();
  await page.fill('input[data-time-into=occurred_at]', '2026-12-01T10:00');
  await page.fill('input[name="interviewee.id"]', 'u-2002');
  await Promise.all([page.waitForEvent('framenavigated'), page.click('form[data-api="POST /api/v1/interviews"] button[type=submit]')]);
  await page.waitForSelector('text=可用性测试 05');
  report.interviewListed = (await page.locator('table').innerText()).replace(/\s+/g, ' ');

  // An API key: shown once, with a copy button; not on the page after a reload.
  await page.goto(`${ws}/manage/keys`);
  const keyForm = page.locator('form[data-api="POST /api/v1/keys"]');
  await keyForm.locator('input[name=name]').fill('数据看板');
  await page.check('input[name="scopes[]"][value=read]');
  await page.uncheck('input[name="scopes[]"][value=ingest]');
  await keyForm.locator('button[type=submit]').click();
  await page.locator('.reveal').waitFor({ state: 'visible', timeout: 10000 });
  report.apiKey = await page.locator('.reveal [data-field=api_key]').textContent();
  if (shots) await page.screenshot({ path: `${shots}/keys-created-1280.png` });
  await page.reload();
  report.keyListed = (await page.locator('table').innerText()).replace(/\s+/g, ' ');
  report.keyShownAgain = (await page.content()).includes(report.apiKey);

  if (shots) {
    const pages = ['sources', 'import', 'interviews', 'subscriptions', 'dictionary', 'categories', 'keys'];
    for (const [width, height] of [[1280, 900], [390, 844]]) {
      await page.setViewportSize({ width, height });
      for (const p of pages) {
        await page.goto(`${ws}/manage/${p}`);
        if (p === 'subscriptions') {
          await page.frameLocator('iframe.digest-frame').locator('img').first().waitFor();
          await page.locator('iframe.digest-frame').scrollIntoViewIfNeeded();
          await page.locator('iframe.digest-frame').screenshot({ path: `${shots}/digest-frame-${width}.png` });
          // Back to the top, so the sticky header is where it belongs in the full-page shot.
          await page.evaluate(() => window.scrollTo(0, 0));
        }
        // The whole page as one tall viewport: a full-page shot leaves the sandboxed frame
        // (its own process) blank unless it is in view.
        const tall = await page.evaluate(() => document.documentElement.scrollHeight);
        await page.setViewportSize({ width, height: tall });
        await page.waitForTimeout(300);
        await page.screenshot({ path: `${shots}/manage-${p}-${width}.png` });
        await page.setViewportSize({ width, height });
      }
    }
  }
  console.log(JSON.stringify({ ok: true, ...report, problems }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), ...report, problems }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
