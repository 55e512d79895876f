// What a respondent sees of a survey, at 320, 390 and 1280 px, in Debian's Chromium: the
// hosted page with JavaScript off (the NPS row on one line, a conditional question only for
// those it is for, numbers counting what is shown), the embed script on another origin, the
// iframe snippet (fitting its content: no scroll bar inside), the popup and slide-in modes,
// and a site that is not allowed. Prints one JSON line for tests/integration/browser.rs;
// screenshots go next to SCREENSHOT (NAME-WIDTH.png) for a person to look at.
import { chromium } from 'playwright-core';

const [base, allowedHost, otherHost, surveyId] = process.argv.slice(2);
const shotBase = (process.env.SCREENSHOT || '/tmp/tingjian-survey-pages.png').replace(/\.png$/, '');
const shot = (name) => `${shotBase}-${name}.png`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const report = { ok: false, widths: {} };

function watch(page, label, allow = () => false) {
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !allow(m.text())) problems.push(`${label}: console: ${m.text()}`);
  });
}

/** The scale of a question: do its points share one row, are the end labels under the ends? */
async function scaleOf(scope, qid) {
  const q = scope.locator(`[data-question="${qid}"]`);
  return q.evaluate((node) => {
    const picks = Array.from(node.querySelectorAll('.tj-pick')).map((p) => p.getBoundingClientRect());
    const ends = Array.from(node.querySelectorAll('.tj-ends span')).map((s) => s.getBoundingClientRect());
    const tops = picks.map((r) => Math.round(r.top));
    const last = picks[picks.length - 1];
    const first = picks[0];
    const lowest = Math.max(...picks.map((r) => r.bottom));
    return {
      points: picks.length,
      rows: new Set(tops).size,
      narrowest: Math.min(...picks.map((r) => r.width)),
      // The low end's label starts under the first point, the high end's ends under the last.
      lowUnderFirst: Math.abs(ends[0].left - first.left) <= 2 && ends[0].top >= lowest - 1,
      highUnderLast: Math.abs(ends[1].right - last.right) <= 2 && ends[1].top >= lowest - 1,
    };
  });
}

/** Numbers and ids of the questions on show, in order. */
async function numbered(scope) {
  return scope.locator('[data-question]').evaluateAll((nodes) => nodes
    .filter((n) => !n.hidden && n.getClientRects().length > 0)
    .map((n) => [n.querySelector('.tj-n').textContent.trim(), n.getAttribute('data-question')]));
}

async function overflowX(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

async function noScript(width) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, javaScriptEnabled: false });
  const page = await context.newPage();
  watch(page, `hosted ${width}`);
  const out = {};
  await page.goto(`${base}/s/${surveyId}`);
  out.scale = await scaleOf(page, 'q1');
  out.overflow = await overflowX(page);
  out.first = await numbered(page);
  out.ruleText = await page.locator('text=仅当').count();
  out.accent = await page.locator('button[type=submit]').evaluate((b) => getComputedStyle(b).backgroundColor);
  out.brand = (await page.locator('.tj-brand').textContent()).trim();
  await page.screenshot({ path: shot(`hosted-${width}`), fullPage: true });
  // A promoter is never asked why the score is low.
  await page.click('[data-question="q1"] label:has(input[value="9"])');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  out.promoter = await numbered(page);
  await page.screenshot({ path: shot(`hosted-step2-${width}`), fullPage: true });
  // 上一步: the first step again, the answer still chosen.
  await Promise.all([page.waitForNavigation(), page.click('button.tj-back')]);
  out.back = await numbered(page);
  out.backChosen = await page.locator('[data-question="q1"] input:checked').getAttribute('value');
  // A detractor is, as question 2; and finishes the survey.
  await page.goto(`${base}/s/${surveyId}`);
  await page.click('[data-question="q1"] label:has(input[value="3"])');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  out.detractor = await numbered(page);
  await page.fill('[data-question="q2"] textarea', `手机上（${width}）结账太慢`);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  out.thanks = await page.locator('[data-tingjian-thanks]').count();
  await context.close();
  return out;
}

async function embedded(width) {
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  watch(page, `embed ${width}`);
  const out = {};
  await page.goto(`${allowedHost}/inline`);
  await page.waitForSelector('[data-tingjian-form]', { timeout: 20000 });
  out.scale = await scaleOf(page, 'q1');
  out.overflow = await overflowX(page);
  out.before = await numbered(page);
  out.accent = await page.locator('[data-tingjian-form] button[type=submit]').evaluate((b) => getComputedStyle(b).backgroundColor);
  out.brand = (await page.locator('[data-tingjian-form] .tj-brand').textContent()).trim();
  await page.click('[data-question="q1"] label:has(input[value="9"])');
  out.promoter = await numbered(page);
  await page.click('[data-question="q1"] label:has(input[value="3"])');
  out.detractor = await numbered(page);
  await page.screenshot({ path: shot(`embed-${width}`), fullPage: true });
  await context.close();
  return out;
}

/** The iframe: is its page taller than the frame (a scroll bar inside)? */
async function frameFit(page) {
  const handle = await page.waitForSelector('iframe[data-tingjian-frame]');
  const frame = await handle.contentFrame();
  await frame.waitForLoadState('load');
  // The loader sets the height when the page reports it: wait (up to 30 s, for a loaded CI
  // machine) until the frame is as tall as its page, then read both once more.
  const bodyOf = () => frame.evaluate(() => Math.ceil(
    document.body.getBoundingClientRect().bottom +
      parseFloat(getComputedStyle(document.body).marginBottom) + window.scrollY,
  ));
  let last = -1;
  for (let i = 0; i < 200; i++) {
    last = await handle.evaluate((f) => f.getBoundingClientRect().height);
    if (Math.abs(last - (await bodyOf())) <= 2) break;
    await page.waitForTimeout(150);
  }
  const inner = await frame.evaluate(() => ({
    content: document.documentElement.scrollHeight,
    view: window.innerHeight,
    // The page's own height (not stretched to the frame, as scrollHeight is).
    body: Math.ceil(
      document.body.getBoundingClientRect().bottom +
        parseFloat(getComputedStyle(document.body).marginBottom) + window.scrollY,
    ),
  }));
  return {
    frameHeight: last,
    content: inner.content,
    body: inner.body,
    hiddenBelow: inner.content - inner.view,
  };
}

async function framed(width) {
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  watch(page, `iframe ${width}`);
  const out = {};
  await page.goto(`${allowedHost}/iframe`);
  out.first = await frameFit(page);
  const frame = await (await page.$('iframe[data-tingjian-frame]')).contentFrame();
  out.scale = await scaleOf(frame, 'q1');
  await frame.click('[data-question="q1"] label:has(input[value="2"])');
  await Promise.all([frame.waitForNavigation(), frame.click('button[type=submit]')]);
  out.second = await frameFit(page);
  out.secondNumbers = await numbered(frame);
  await page.screenshot({ path: shot(`iframe-${width}`), fullPage: true });
  await frame.fill('[data-question="q2"] textarea', `iframe 里（${width}）也能填`);
  await Promise.all([frame.waitForNavigation(), frame.click('button[type=submit]')]);
  out.thanks = await frameFit(page);
  await context.close();
  return out;
}

async function modes() {
  const out = {};
  // Popup after a second; once per browser.
  let context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  let page = await context.newPage();
  watch(page, 'popup');
  await page.goto(`${allowedHost}/popup`);
  const dialog = page.locator('tingjian-survey[data-mode="popup"] [role="dialog"]');
  await dialog.waitFor({ state: 'visible', timeout: 10000 });
  out.popupLabel = await dialog.getAttribute('aria-label');
  out.popupScale = await scaleOf(page, 'q1');
  out.popupDim = await page.locator('tingjian-survey .tj-overlay').evaluate((l) => getComputedStyle(l).backgroundColor);
  await page.screenshot({ path: shot('popup-390') });
  await page.click('[data-tingjian-close]');
  out.popupAfterClose = await page.locator('tingjian-survey').count();
  await page.reload();
  await page.waitForTimeout(2500);
  out.popupAgain = await page.locator('tingjian-survey').count();
  await context.close();

  // Slide-in when the page calls Tingjian.show(id); nothing before.
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  watch(page, 'slide-in');
  await page.goto(`${allowedHost}/slide`);
  await page.waitForFunction(() => window.Tingjian && typeof window.Tingjian.show === 'function');
  await page.waitForTimeout(500);
  out.slideBefore = await page.locator('tingjian-survey').count();
  await page.click('#ask');
  const slide = page.locator('tingjian-survey[data-mode="slide-in"] [data-tingjian-form]');
  await slide.waitFor({ state: 'visible', timeout: 10000 });
  out.slideBox = await page.locator('tingjian-survey[data-mode="slide-in"] .tj-box').evaluate((b) => {
    const r = b.getBoundingClientRect();
    return { right: Math.round(window.innerWidth - r.right), bottom: Math.round(window.innerHeight - r.bottom), width: Math.round(r.width), height: Math.round(r.height) };
  });
  await page.screenshot({ path: shot('slide-in-1280') });
  await context.close();

  // Slide-in at half the page scrolled.
  context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  page = await context.newPage();
  watch(page, 'scroll');
  await page.goto(`${allowedHost}/scroll`);
  await page.waitForFunction(() => window.Tingjian);
  await page.waitForTimeout(800);
  out.scrollBefore = await page.locator('tingjian-survey').count();
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await page.locator('tingjian-survey [data-tingjian-form]').waitFor({ state: 'visible', timeout: 10000 });
  out.scrollAfter = await page.locator('tingjian-survey').count();
  await context.close();
  return out;
}

async function refused() {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await context.newPage();
  // The browser logs the refused request itself; that is expected here.
  watch(page, 'refused', (t) => /status of 403/.test(t));
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto(`${otherHost}/inline`);
  const note = page.locator('[data-tingjian-unavailable]');
  await note.waitFor({ state: 'visible', timeout: 20000 });
  const out = { text: (await note.textContent()).trim(), warning: warnings.find((w) => w.includes('[tingjian]')) || null };
  await page.screenshot({ path: shot('refused-390') });
  await context.close();
  return out;
}

try {
  for (const width of [320, 390, 1280]) {
    report.widths[width] = {
      hosted: await noScript(width),
      embed: await embedded(width),
      iframe: await framed(width),
    };
  }
  report.modes = await modes();
  report.refused = await refused();
  report.ok = true;
} catch (e) {
  report.error = String(e && e.stack || e);
  process.exitCode = 1;
} finally {
  report.problems = problems;
  console.log(JSON.stringify(report));
  await browser.close();
}
