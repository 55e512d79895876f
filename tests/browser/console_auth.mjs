// Drives Debian's Chromium through signing in to the console and out again, as a member
// would: the sign-in form, a page with its stylesheet and script (no Content-Security-Policy
// violations), a form that calls the API, a call without the CSRF token, signing out and the
// back button; then a viewer, who sees no admin links. Reports one JSON line; run by
// tests/integration/browser.rs.
import { chromium } from 'playwright-core';

const [base, workspace, adminEmail, viewerEmail, strangerEmail, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const report = { ok: false, problems };

// A fresh browser profile: every page's errors, CSP violations and failed assets are noted.
async function newPage(viewport) {
  const context = await browser.newContext({ viewport });
  // Init scripts run outside the page's CSP, so this listener sees what the policy refused.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('Failed to load resource')) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on('response', (r) => {
    if (r.url().includes('/static/') && r.status() !== 200) problems.push(`asset ${r.status()}: ${r.url()}`);
  });
  return page;
}

async function signIn(page, email) {
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

try {
  const page = await newPage({ width: 1280, height: 860 });
  const assets = [];
  page.on('response', (r) => { if (r.url().includes('/static/console.')) assets.push(`${r.status()} ${new URL(r.url()).pathname}`); });

  // A page deep inside sends the browser to sign in, and back there afterwards.
  const members = `${base}/console/w/${workspace}/manage/members`;
  await page.goto(members);
  report.loginUrl = new URL(page.url()).pathname;
  report.loginTitle = await page.title();
  await signIn(page, adminEmail);
  report.landed = new URL(page.url()).pathname;
  report.heading = (await page.locator('main h1').first().textContent()).trim();
  // The stylesheet applied (the card has its border radius) and the script runs (the invite
  // form calls the API and shows the link without leaving the page).
  report.cardRadius = await page.locator('.card').first().evaluate((e) => getComputedStyle(e).borderTopLeftRadius);
  await page.fill('form[data-api="POST /api/v1/members"] input[name=email]', 'browser-invite@example.com');
  await page.click('form[data-api="POST /api/v1/members"] button[type=submit]');
  await page.waitForSelector('.reveal:not([hidden]) [data-field="sign_in_url"]', { timeout: 10000 });
  report.inviteLink = await page.locator('[data-field="sign_in_url"]').textContent();
  report.stayed = new URL(page.url()).pathname;
  report.assets = [...new Set(assets)].sort();
  // A call from this page without the session's CSRF token is refused.
  report.withoutToken = await page.evaluate(async (ws) => {
    const res = await fetch('/api/v1/workspace', {
      method: 'PATCH', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Tingjian-Workspace': ws },
      body: JSON.stringify({ name: '被改了' }),
    });
    return { status: res.status, code: (await res.json()).code };
  }, workspace);
  await page.screenshot({ path: process.env.SCREENSHOT || '/tmp/tingjian-console-auth.png', fullPage: true });
  // A form whose token went missing (a page kept from an old session, a forged copy) is
  // refused, and the page says why.
  await page.goto(`${base}/console/w/${workspace}/manage/settings`);
  const settings = page.locator('form[data-api="PATCH /api/v1/workspace"]');
  await settings.locator('input[name=csrf_token]').evaluate((e) => e.remove());
  await settings.locator('input[name=name]').fill('被改了');
  await settings.locator('button[type=submit]').click();
  await page.waitForSelector('form[data-api="PATCH /api/v1/workspace"] .form-status:not([hidden])', { timeout: 10000 });
  report.formWithoutToken = (await settings.locator('.form-status').textContent()).trim();

  // Signing out, from the member menu; the back button then does not show the console.
  await page.click('details.switcher summary');
  await Promise.all([page.waitForNavigation(), page.click('details.switcher button:has-text("退出登录")')]);
  report.afterSignOut = new URL(page.url()).pathname;
  await page.goBack();
  await page.waitForLoadState();
  report.afterBack = new URL(page.url()).pathname;
  report.backShowsConsole = await page.locator('body[data-csrf]').count() > 0;
  await page.goto(members);
  report.afterReopen = new URL(page.url()).pathname;

  // A viewer on a phone: signed in, no link to an admin page anywhere they can go.
  const phone = await newPage({ width: 390, height: 844 });
  await phone.goto(`${base}/console/login`);
  await signIn(phone, viewerEmail);
  report.viewerLanded = new URL(phone.url()).pathname;
  const adminLinks = async () => phone.locator('a[href*="/manage/members"], a[href*="/manage/settings"], a[href*="/manage/keys"], a[href*="/manage/sources"]').count();
  report.viewerAdminLinks = await adminLinks();
  const refused = await phone.goto(`${base}/console/w/${workspace}/manage/settings`);
  report.viewerSettingsStatus = refused.status();
  report.viewerSettingsText = (await phone.locator('main').textContent()).replace(/\s+/g, ' ').trim();
  report.viewerAdminLinksOnRefusal = await adminLinks();
  report.viewerHasSignOut = await phone.locator('details.switcher button:has-text("退出登录")').count();
  report.viewerPageWidth = await phone.evaluate(() => document.documentElement.scrollWidth);

  // A member of another workspace: this workspace's pages are not found, its API answers
  // nothing, and nothing on the way names it.
  const stranger = await newPage({ width: 1280, height: 860 });
  await stranger.goto(`${base}/console/login`);
  await signIn(stranger, strangerEmail);
  report.strangerLanded = new URL(stranger.url()).pathname;
  const theirs = await stranger.goto(`${base}/console/w/${workspace}/manage/members`);
  report.strangerStatus = theirs.status();
  report.strangerText = (await stranger.locator('body').textContent()).replace(/\s+/g, ' ').trim();
  report.strangerApi = await stranger.evaluate(async (ws) => {
    const res = await fetch('/api/v1/feedback', { credentials: 'same-origin', headers: { 'X-Tingjian-Workspace': ws } });
    return { status: res.status, code: (await res.json()).code };
  }, workspace);
  report.ok = true;
} catch (e) {
  report.error = String(e && e.stack || e);
  process.exitCode = 1;
} finally {
  console.log(JSON.stringify(report));
  await browser.close();
}
