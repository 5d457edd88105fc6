// The visitor's truth: clicks, cookies, reloads, and which third-party
// scripts the browser does or does not request. Every third-party URL points
// at a loopback stub that counts requests; anything else is aborted and fails.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  ROOT, SCREENSHOTS, launchBrowser, startEmbed, startServer, startStub, visitor, writeTestContent,
} from './harness.mjs';

let stub; let server; let embed; let browser; let contentDir;

before(async () => {
  stub = await startStub();
  contentDir = writeTestContent(stub.origin);
  server = await startServer(contentDir);
  embed = await startEmbed(contentDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
  embed?.stop();
  await stub?.close();
  if (contentDir) fs.rmSync(contentDir, { recursive: true, force: true });
});

const site = (host) => server.origin.replace('127.0.0.1', host);

// The policy pages with an opt-out control, each in English and German.
const PAGES = [
  { name: '2022 (Carbon), en', path: '/privacy', locale: 'en-US', service: 'carbon', script: '/carbon.js', label: 'Disable Carbon Ads', disabled: 'Carbon Ads is disabled for this browser.', enable: 'Enable again' },
  { name: '2022 (Carbon), de', path: '/privacy', locale: 'de-DE', service: 'carbon', script: '/carbon.js', label: 'Disable Carbon Ads', disabled: 'Carbon Ads is disabled for this browser.', enable: 'Enable again' },
  { name: '2018 (GA), en', path: '/privacy/2018-05-22', locale: 'en-US', service: 'ga', script: '/gtag/js', label: 'Disable Google Analytics', disabled: 'Google Analytics is disabled for this browser.', enable: 'Enable again' },
  { name: '2018 (GA), de', path: '/privacy/2018-05-22', locale: 'de-DE', service: 'ga', script: '/gtag/js', label: 'Google Analytics deaktivieren', disabled: 'Google Analytics ist für diesen Browser deaktiviert.', enable: 'Wieder aktivieren' },
];
const OTHER_PAGES = ['/', '/privacy', '/privacy/versions', '/privacy/2018-05-22', '/privacy/2018-05-22?lang=de'];
const COOKIE = { carbon: 'carbon-disable=true', ga: 'ga-disable-G-E2ETEST=true' };

for (const page of PAGES) {
  describe(`policy ${page.name}`, () => {
    it('a fresh visitor loads the active services, without errors', async () => {
      const v = await visitor(browser, { locale: page.locale });
      stub.reset();
      await v.page.goto(server.origin + page.path);
      await v.page.waitForFunction(() => (window.__stubLoaded || []).length >= 3);
      assert.equal(stub.count('/carbon.js'), 1);
      assert.equal(stub.count('/plausible.js'), 1);
      assert.equal(stub.count('/gtag/js'), 1);
      v.check();
      await v.close();
    });

    it('opting out with JavaScript changes the control in place and stops the script everywhere', async () => {
      const v = await visitor(browser, { locale: page.locale });
      await v.page.goto(server.origin + page.path);
      const url = v.page.url();
      await v.page.getByRole('button', { name: page.label }).click();
      await v.page.getByText(page.disabled).waitFor();
      assert.equal(v.page.url(), url, 'no navigation');
      assert.ok((await v.cookies()).includes(COOKIE[page.service]));
      assert.equal(await v.page.evaluate((c) => document.cookie.split('; ').includes(c), COOKIE[page.service]), true);
      stub.reset();
      await v.page.reload();
      for (const other of OTHER_PAGES) await v.page.goto(server.origin + other);
      assert.equal(stub.count(page.script), 0, `${page.script} requested after opt-out`);
      assert.ok(stub.count('/plausible.js') > 0, 'other services still load');
      v.check();
      await v.close();
    });

    it('opting out without JavaScript posts the form and comes back confirmed', async () => {
      const v = await visitor(browser, { locale: page.locale, javaScriptEnabled: false });
      await v.page.goto(server.origin + page.path);
      await v.page.getByRole('button', { name: page.label }).click();
      await v.page.waitForURL(/optout=/);
      assert.ok(new URL(v.page.url()).pathname === page.path);
      assert.ok(await v.page.getByRole('status').first().isVisible());
      assert.ok(await v.page.getByText(page.disabled).isVisible());
      assert.ok((await v.cookies()).includes(COOKIE[page.service]));
      // Without JavaScript no script is ever fetched, so the proof is a
      // browser that runs scripts, holding the cookie jar this visit made.
      const js = await visitor(browser, { locale: page.locale });
      await js.context.addCookies(await v.context.cookies());
      stub.reset();
      for (const other of OTHER_PAGES) await js.page.goto(server.origin + other);
      assert.equal(stub.count(page.script), 0, `${page.script} requested after opt-out`);
      assert.ok(stub.count('/plausible.js') > 0, 'other services still load');
      v.check();
      js.check();
      await js.close();
      await v.close();
    });

    it('"enable again" brings the script back', async () => {
      const v = await visitor(browser, { locale: page.locale });
      await v.page.goto(server.origin + page.path);
      await v.page.getByRole('button', { name: page.label }).click();
      await v.page.getByRole('button', { name: page.enable }).click();
      await v.page.getByRole('button', { name: page.label }).waitFor();
      assert.ok(!(await v.cookies()).includes(COOKIE[page.service]));
      stub.reset();
      await v.page.reload();
      await v.page.waitForFunction(() => (window.__stubLoaded || []).length >= 3);
      assert.equal(stub.count(page.script), 1);
      v.check();
      await v.close();
    });

    it('is operable from the keyboard alone', async () => {
      const v = await visitor(browser, { locale: page.locale });
      await v.page.goto(server.origin + page.path);
      const button = v.page.getByRole('button', { name: page.label });
      let reached = false;
      for (let i = 0; i < 300 && !reached; i += 1) {
        await v.page.keyboard.press('Tab');
        reached = await button.evaluate((b) => b === document.activeElement);
      }
      assert.ok(reached, 'the opt-out button is reachable with Tab');
      await v.page.keyboard.press('Enter');
      await v.page.getByText(page.disabled).waitFor();
      assert.ok(await v.page.getByRole('button', { name: page.enable }).evaluate((b) => b === document.activeElement), 'focus moves to "enable again"');
      v.check();
      await v.close();
    });
  });
}

describe('the operator\'s own pages (examples/embed)', () => {
  it('window.gaOptout() sets GA\'s cookie and stops GA on the next load', async () => {
    const v = await visitor(browser);
    stub.reset();
    await v.page.goto(embed.origin + '/');
    await v.page.waitForFunction(() => (window.__stubLoaded || []).length >= 3);
    assert.equal(stub.count('/gtag/js'), 1);
    const result = await v.page.evaluate(() => window.gaOptout());
    assert.equal(result.service, 'ga');
    assert.equal(result.opted_out, true);
    assert.deepEqual(result.cookies.map((c) => [c.name, c.value, c.domain]), [['ga-disable-G-E2ETEST', 'true', null]]);
    assert.equal(await v.page.evaluate(() => window['ga-disable-G-E2ETEST']), true);
    assert.ok((await v.cookies()).includes('ga-disable-G-E2ETEST=true'));
    stub.reset();
    await v.page.reload();
    await v.page.goto(embed.origin + '/blog');
    assert.equal(stub.count('/gtag/js'), 0);
    assert.equal(await v.page.evaluate(() => window['ga-disable-G-E2ETEST']), true, 'flag set for opted-out visitors');
    v.check();
    await v.close();
  });

  it('window.carbonOptout() removes the marked ad slot on the next load', async () => {
    const v = await visitor(browser);
    await v.page.goto(embed.origin + '/');
    assert.equal(await v.page.locator('[data-service="carbon"]').count(), 2);
    await v.page.evaluate(() => window.carbonOptout());
    stub.reset();
    await v.page.reload();
    assert.equal(await v.page.locator('[data-service="carbon"]').count(), 0);
    assert.equal(stub.count('/carbon.js'), 0);
    v.check();
    await v.close();
  });
});

describe('Global Privacy Control', () => {
  it('with Sec-GPC: 1 no third-party script is requested from the first view', async () => {
    const v = await visitor(browser, { extraHTTPHeaders: { 'Sec-GPC': '1' } });
    stub.reset();
    for (const other of OTHER_PAGES) await v.page.goto(server.origin + other);
    await v.page.goto(embed.origin + '/');
    assert.deepEqual(stub.hits, []);
    await v.page.goto(server.origin + '/privacy');
    assert.ok(await v.page.getByText('Carbon Ads is disabled: your browser sends the Global Privacy Control signal.').isVisible());
    v.check();
    await v.close();
  });
});

describe('language', () => {
  it('a German browser sees German chrome and the honest notice on /privacy', async () => {
    const v = await visitor(browser, { locale: 'de-DE' });
    await v.page.goto(server.origin + '/privacy');
    assert.equal(await v.page.locator('html').getAttribute('lang'), 'en');
    const notice = v.page.locator('.notice-translation');
    assert.equal(await notice.getAttribute('lang'), 'de');
    assert.match(await notice.innerText(), /Diese Seite gibt es nicht auf Deutsch/);
    await notice.getByRole('link').click();
    await v.page.waitForURL(/2018-05-22/);
    assert.equal(await v.page.locator('html').getAttribute('lang'), 'de');
    assert.ok(await v.page.getByRole('heading', { name: 'Datenschutzerklärung', level: 1 }).isVisible());
    assert.ok(await v.page.getByText('Dies ist eine archivierte Fassung').isVisible());
    v.check();
    await v.close();
  });
});

describe('accessibility', () => {
  const axeSource = fs.readFileSync(path.join(ROOT, 'tests/e2e/node_modules/axe-core/axe.min.js'), 'utf8');
  const pages = [
    ...OTHER_PAGES.map((p) => ({ host: '127.0.0.1', path: p })),
    { host: '127.0.0.1', path: '/nope' },
    // The privacy choices, in both languages.
    { host: '127.0.0.1', path: '/choices' },
    { host: '127.0.0.1', path: '/choices?lang=de' },
    // What changed 2018 → 2022, in English and (told why it is English) German.
    { host: '127.0.0.1', path: '/privacy/changes' },
    { host: '127.0.0.1', path: '/privacy/changes?lang=de' },
    { host: 'foosel.localhost', path: '/privacy' },
    { host: 'ispconfig.localhost', path: '/privacy' },
    { host: 'simplyprint.localhost', path: '/privacy' },
  ];
  for (const { host, path: pagePath } of pages) {
    for (const colorScheme of ['light', 'dark']) {
      it(`axe finds no serious or critical violations on ${host}${pagePath} (${colorScheme})`, async () => {
        const v = await visitor(browser, { colorScheme });
        await v.page.goto(site(host) + pagePath);
        await v.page.evaluate(axeSource);
        const results = await v.page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        const serious = results.violations
          .filter((violation) => ['serious', 'critical'].includes(violation.impact))
          .map((violation) => `${violation.id}: ${violation.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
        assert.deepEqual(serious, []);
        // Chromium reports the 404 document itself as a failed resource.
        v.check(pagePath === '/nope' ? [/status of 404/] : []);
        await v.close();
      });
    }
  }
});

describe('screenshots', () => {
  it('of each site\'s policy page, desktop and mobile, light and dark', async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const sites = ['octoprint', 'foosel', 'ispconfig', 'simplyprint'];
    const sizes = { desktop: { width: 1280, height: 900 }, mobile: { width: 390, height: 844 } };
    for (const name of sites) {
      for (const [size, viewport] of Object.entries(sizes)) {
        for (const colorScheme of ['light', 'dark']) {
          const v = await visitor(browser, { viewport, colorScheme, isMobile: size === 'mobile' });
          await v.page.goto(site(`${name}.localhost`) + '/privacy');
          const file = path.join(SCREENSHOTS, `${name}-${size}-${colorScheme}.png`);
          await v.page.screenshot({ path: file });
          assert.ok(fs.statSync(file).size > 10000, `${file} has content`);
          v.check();
          await v.close();
        }
      }
    }
  });
});
