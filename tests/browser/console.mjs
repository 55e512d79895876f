// Drives Debian's Chromium through the feedback console (/console) the way an analyst would:
// opens a digest-style link, enters the API key, reads the list, changes a filter, loads
// more, logs out and tries a wrong key. Reports what the page showed as one JSON line.
// Run by tests/integration/browser.rs:
//   node console.mjs <app base URL> <API key with read scope> [<key without read scope>]
// The app must hold the seeded feedback described there (payment complaints in the week of
// 2026-11-16, one older, one of them with an <img onerror> probe in its text).
import { createHash } from 'node:crypto';
import { chromium } from 'playwright-core';

const [base, apiKey, noReadKey] = process.argv.slice(2);
const XSS = '<img src=x onerror=alert(1)>';
const WEEK = 'from=2026-11-16T00:00:00Z&to=2026-11-23T00:00:00Z';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const dialogs = [];
const apiRequests = [];
const visited = [];
const sha256 = (s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

// What the list shows, item by item.
const listed = (page) => page.$$eval('#list > li', (lis) => lis.map((li) => ({
  text: li.querySelector('.fb-text')?.textContent ?? null,
  time: li.querySelector('time')?.textContent ?? null,
  sentiment: li.querySelector('[data-sentiment]')?.getAttribute('data-sentiment') ?? null,
  sentimentLabel: li.querySelector('[data-sentiment] .label-text')?.textContent ?? null,
  painPoints: [...li.querySelectorAll('[data-pain-point]')].map((b) => b.getAttribute('data-pain-point')),
  painPointLabels: [...li.querySelectorAll('[data-pain-point]')].map((b) => b.textContent),
  keywords: [...li.querySelectorAll('[data-keyword]')].map((b) => b.textContent),
})));
// The page marks where it is on <body data-state>: key, loading, ready, empty or error.
const settled = (page, states = ['ready', 'empty', 'error', 'key']) => page.waitForFunction(
  (s) => s.includes(document.body.dataset.state), states, { timeout: 20000 });
const feedbackResponse = (page, part) => {
  const p = page.waitForResponse(
    (r) => r.url().includes('/api/v1/feedback') && r.url().includes(part), { timeout: 20000 });
  p.catch(() => {}); // awaited below; not an unhandled rejection if a step before it fails
  return p;
};
const overflows = (page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);

try {
  const page = await browser.newPage({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // The wrong keys below are answered 401 and 403 on purpose, and the app has no favicon:
  // Chromium logs those loads as errors.
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/status of 40[13] /.test(m.text()) || /\/favicon\.ico$/.test(m.location().url || '')) return;
    problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('request', async (r) => {
    if (!r.url().includes('/api/')) return;
    const headers = await r.allHeaders().catch(() => ({}));
    apiRequests.push({ url: r.url(), auth: headers.authorization || null });
  });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) visited.push(f.url()); });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

  // 1. A link from a digest: the key form comes first, the filter bar shows the pain point.
  await page.goto(`${base}/console?pain_point=payment`);
  await page.getByLabel('API 密钥', { exact: true }).waitFor({ state: 'visible', timeout: 20000 });
  const askedForKeyFirst = await page.locator('#key-panel').isVisible();
  const painPointSelected = await page.getByLabel('痛点', { exact: true }).inputValue();
  const painPointLabel = await page.locator('#f-pain_point option:checked').textContent();
  const painPointOptions = await page.$$eval('#f-pain_point option', (os) => os.map((o) => o.value).filter(Boolean));

  // 2. The key, then the list.
  await page.getByLabel('API 密钥', { exact: true }).fill(apiKey);
  const first = feedbackResponse(page, 'pain_point=payment');
  await page.getByRole('button', { name: '进入' }).click();
  await first;
  await settled(page);
  const state = await page.evaluate(() => document.body.dataset.state);
  const paymentItems = await listed(page);
  const status = await page.locator('#status').textContent();
  await page.waitForTimeout(500); // time for an injected onerror to fire, were there one
  const xssItem = paymentItems.find((i) => i.text && i.text.includes(XSS)) || null;
  const imgElements = await page.locator('img').count();
  const onerrorAttributes = await page.locator('[onerror]').count();
  const overflowAt375 = await overflows(page);
  await page.screenshot({ path: process.env.SCREENSHOT || '/tmp/tingjian-console.png', fullPage: true });
  const storage = await page.evaluate((k) => ({
    session: Object.values(sessionStorage).includes(k),
    local: Object.values(localStorage).some((v) => v.includes(k)),
    cookies: document.cookie.includes(k),
  }), apiKey);

  // 3. Negative only: the list is asked again and the URL follows.
  const negative = feedbackResponse(page, 'sentiment=negative');
  await page.getByLabel('情感', { exact: true }).selectOption('negative');
  await negative;
  await settled(page);
  const negativeItems = await listed(page);
  const urlAfterSentiment = page.url();

  // 4. The full digest link, two at a time, under a strict Content-Security-Policy built from
  //    the page's own inline script and style: the key survives the navigation (same tab).
  let csp = null;
  await page.route(/\/console(\?|$)/, async (route) => {
    const res = await route.fetch();
    const html = await res.text();
    const hashes = (tag) => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => sha256(m[1])).join(' ');
    csp = `default-src 'none'; script-src ${hashes('script')}; style-src ${hashes('style')}; connect-src 'self'; ` +
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    await route.fulfill({ response: res, body: html, headers: { ...res.headers(), 'content-security-policy': csp } });
  });
  const week = feedbackResponse(page, 'limit=2');
  await page.goto(`${base}/console?pain_point=payment&${WEEK}&limit=2`);
  await week;
  await settled(page);
  const keyFormAfterNavigation = await page.locator('#key-panel').isVisible();
  const fromShown = await page.getByLabel('开始时间', { exact: true }).inputValue();
  const toShown = await page.getByLabel('结束时间（不含）', { exact: true }).inputValue();
  const weekFirstPage = (await listed(page)).length;
  const moreButton = page.getByRole('button', { name: '加载更多' });
  const moreShown = await moreButton.isVisible();
  const next = feedbackResponse(page, 'cursor=');
  await moreButton.click();
  await next;
  await settled(page);
  const weekItems = await listed(page);
  const moreAfter = await moreButton.isVisible();
  const weekStatus = await page.locator('#status').textContent();
  const cspViolations = await page.evaluate(() => window.__csp);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const overflowAt1280 = await overflows(page);
  const shot = process.env.SCREENSHOT || '/tmp/tingjian-console.png';
  await page.screenshot({ path: shot.replace(/(\.png)?$/, '-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });

  // 5. 退出 forgets the key; a wrong key (and a key without read scope) asks again.
  await page.getByRole('button', { name: '退出' }).click();
  await settled(page, ['key']);
  const afterLogout = {
    keyForm: await page.locator('#key-panel').isVisible(),
    listHidden: !(await page.locator('#results').isVisible()),
    keyStored: await page.evaluate((k) => Object.values(sessionStorage).includes(k), apiKey),
    message: await page.locator('#key-msg').textContent(),
  };
  await page.getByLabel('API 密钥', { exact: true }).fill(`tj_${'x'.repeat(43)}`);
  await page.getByRole('button', { name: '进入' }).click();
  await settled(page, ['key']);
  const wrongKey = {
    keyForm: await page.locator('#key-panel').isVisible(),
    listHidden: !(await page.locator('#results').isVisible()),
    keyStored: await page.evaluate(() => sessionStorage.length > 0),
    message: await page.locator('#key-msg').textContent(),
  };
  let noReadScope = null;
  if (noReadKey) {
    await page.getByLabel('API 密钥', { exact: true }).fill(noReadKey);
    await page.getByRole('button', { name: '进入' }).click();
    await settled(page, ['key']);
    noReadScope = {
      keyForm: await page.locator('#key-panel').isVisible(),
      message: await page.locator('#key-msg').textContent(),
    };
  }

  const keyLeaked = visited.some((u) => u.includes(apiKey)) || page.url().includes(apiKey) ||
    apiRequests.some((r) => r.url.includes(apiKey) || (noReadKey && r.url.includes(noReadKey)));
  const checks = {
    askedForKeyFirst,
    painPointPrefilled: painPointSelected === 'payment',
    twelvePainPoints: painPointOptions.length >= 12,
    listed: state === 'ready' && paymentItems.length > 0,
    onlyPayment: paymentItems.every((i) => i.painPoints.includes('payment')),
    xssShownAsText: !!xssItem,
    noInjectedElements: imgElements === 0 && onerrorAttributes === 0,
    noDialog: dialogs.length === 0,
    keyInSessionStorageOnly: storage.session && !storage.local && !storage.cookies,
    keyNeverInUrl: !keyLeaked,
    keySentAsBearer: apiRequests.filter((r) => r.url.includes('/api/v1/feedback'))
      .every((r) => typeof r.auth === 'string' && r.auth.startsWith('Bearer tj_')),
    sentimentRequeried: negativeItems.length > 0 && negativeItems.length < paymentItems.length &&
      negativeItems.every((i) => i.sentiment === 'negative' && i.painPoints.includes('payment')),
    urlFollowsFilters: /[?&]sentiment=negative(&|$)/.test(urlAfterSentiment) &&
      /[?&]pain_point=payment(&|$)/.test(urlAfterSentiment),
    keyKeptInTab: !keyFormAfterNavigation,
    datesInFilterBar: fromShown !== '' && toShown !== '',
    loadMore: weekFirstPage === 2 && moreShown && weekItems.length > weekFirstPage && !moreAfter,
    strictCsp: csp !== null && cspViolations.length === 0,
    fitsPhone: !overflowAt375,
    fitsDesktop: !overflowAt1280,
    logoutForgetsKey: afterLogout.keyForm && afterLogout.listHidden && !afterLogout.keyStored,
    wrongKeyAsksAgain: wrongKey.keyForm && wrongKey.listHidden && !wrongKey.keyStored,
    noReadScopeAsksAgain: noReadKey ? noReadScope.keyForm : true,
  };
  const ok = Object.values(checks).every(Boolean);
  console.log(JSON.stringify({
    ok, checks, painPointLabel, status, paymentItems, xssItem, imgElements, dialogs,
    negativeItems, urlAfterSentiment, fromShown, toShown, weekItems, weekStatus, cspViolations,
    afterLogout, wrongKey, noReadScope, problems,
  }));
  if (!ok) process.exitCode = 1;
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), dialogs, problems }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
