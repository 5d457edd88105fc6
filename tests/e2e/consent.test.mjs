// Opt-in consent, decided by the server, on the fronted shop of
// tests/fixtures/opt_in: Google Analytics and Hotjar wait for the visitor's
// yes, Carbon and Plausible load until a no. Every vendor host is a stub on
// loopback that counts what it was asked for: a first visit asks GA for
// nothing before "Accept all", and nothing after "Reject all".

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ROOT, launchCookielessVisitor, startFrontedShop, visitor } from './harness.mjs';

const PAGES = ['/', '/blog/', '/blog/2024/hello', '/about/', '/privacy'];
// What Chromium says when the site's policy refuses a service the visitor has not allowed.
const REFUSED = [/status of 404/, /Content Security Policy/, /CSP violation/];

let shop; let stubs; let server; let browser;

before(async () => {
  shop = await startFrontedShop('opt_in');
  ({ stubs, server, browser } = shop);
});

after(async () => { await shop?.stop(); });

const origin = () => shop.origin();
const counts = () => shop.counts();
const resetStubs = () => shop.resetStubs();
const banner = (v) => v.page.locator('#privacy-pages-banner');

/** Every page, in one visitor's browser: what each vendor got, and on which pages the banner asked. */
async function browse(v, at = origin()) {
  resetStubs();
  const asked = [];
  for (const page of PAGES) {
    await v.page.goto(at + page);
    await v.page.waitForLoadState('load');
    await v.page.waitForTimeout(150);
    if (await v.page.getByRole('button', { name: 'Accept all' }).count()) asked.push(page);
  }
  return { counts: counts(), asked };
}

describe('opt-in consent', () => {
  it('asks on every page and sends no opt-in service before "Accept all", then on every page', async () => {
    const v = await visitor(browser);
    const first = await browse(v);
    assert.deepEqual(first.asked, PAGES, 'the banner on every gated page');
    assert.equal(first.counts.ga, 0, `GA before a yes: ${JSON.stringify(first.counts)}`);
    assert.equal(first.counts.hotjar, 0, `Hotjar before a yes: ${JSON.stringify(first.counts)}`);
    assert.ok(first.counts.carbon >= 2, `opt-out services load meanwhile: ${JSON.stringify(first.counts)}`);
    assert.ok(first.counts.plausible >= 3, JSON.stringify(first.counts));

    await v.page.goto(`${origin()}/blog/`);
    resetStubs();
    await v.page.getByRole('button', { name: 'Accept all' }).click();
    await v.page.waitForURL(/\/blog\/\?consent=accepted$/);
    assert.match(await banner(v).getByRole('status').innerText(), /^Saved: you agreed to Google Analytics and Hotjar\./);
    assert.ok((await v.cookies()).some((c) => /^privacy-consent=1~\d{8}~\d+~[0-9a-f]{16}~ga\.hotjar~$/.test(c)), JSON.stringify(await v.cookies()));

    const then = await browse(v);
    assert.deepEqual(then.asked, [], 'not asked again');
    assert.ok(then.counts.ga >= 1, `GA once agreed: ${JSON.stringify(then.counts)}`);
    assert.ok(then.counts.hotjar >= 1, `Hotjar once agreed: ${JSON.stringify(then.counts)}`);
    v.check(REFUSED);
    await v.close();
  });

  // At a mapped name and at the bare address (no host mapping, host-only cookies).
  for (const javaScriptEnabled of [true, false]) for (const bare of [false, true]) {
    it(`"Reject all" keeps every service off on every page, ${javaScriptEnabled ? 'with' : 'without'} JavaScript, at ${bare ? '127.0.0.1' : 'a host name'}`, async () => {
      const at = bare ? server.origin : origin();
      const v = await visitor(browser, { javaScriptEnabled });
      await v.page.goto(`${at}/about/`);
      resetStubs();
      await v.page.getByRole('button', { name: 'Reject all' }).click();
      await v.page.waitForURL(/\/about\/\?consent=rejected$/);
      assert.match(await banner(v).innerText(), /Saved: Google Analytics and Hotjar stay off\./);
      const kept = (await v.cookies()).map((c) => c.split('=')[0]).sort();
      assert.deepEqual(kept, ['carbon-disable', 'ga-disable-G-SHOP123', 'hotjar-disable', 'plausible-disable', 'privacy-consent']);
      const { counts: seen, asked } = await browse(v, at);
      assert.deepEqual(asked, []);
      for (const vendor of ['ga', 'hotjar', 'carbon', 'plausible']) {
        assert.equal(seen[vendor], 0, `${vendor} after "Reject all": ${JSON.stringify(seen)}`);
      }
      v.check(REFUSED);
      await v.close();
    });
  }

  it('works without JavaScript: the GA pixel in <noscript> only after "Accept all"', async () => {
    const v = await visitor(browser, { javaScriptEnabled: false });
    resetStubs();
    await v.page.goto(`${origin()}/about/`);
    await v.page.waitForLoadState('load');
    assert.equal(stubs.ga.count('/collect'), 0, 'no pixel before a yes');
    await v.page.getByRole('button', { name: 'Accept all' }).click();
    await v.page.waitForURL(/\/about\/\?consent=accepted$/);
    await v.page.waitForLoadState('load');
    assert.equal(stubs.ga.count('/collect'), 1, 'the pixel once agreed');
    v.check();
    await v.close();
  });

  it('turns one opt-in service on from the privacy choices, and confirms it only if the browser kept it', async () => {
    const v = await visitor(browser);
    await v.page.goto(`${origin()}/_privacy/choices`);
    await v.page.locator('#service-ga').getByRole('button', { name: 'Turn on Google Analytics' }).click();
    await v.page.locator('#consent-result.notice-saved').waitFor();
    assert.ok(await v.page.locator('#service-ga').getByText('Google Analytics is on.').isVisible());
    const { counts: seen, asked } = await browse(v);
    assert.ok(seen.ga >= 1, `GA once allowed: ${JSON.stringify(seen)}`);
    assert.equal(seen.hotjar, 0, `Hotjar still waits: ${JSON.stringify(seen)}`);
    assert.deepEqual(asked, PAGES, 'and so the banner still asks');
    v.check(REFUSED);
    await v.close();

    // A browser that keeps no cookies: the record is not kept, and the page says so.
    const blocked = await launchCookielessVisitor();
    await blocked.page.goto(`${origin()}/_privacy/choices`);
    await blocked.page.locator('#service-ga').getByRole('button', { name: 'Turn on Google Analytics' }).click();
    await blocked.page.locator('#consent-result.notice-unsaved').waitFor();
    assert.match(await blocked.page.locator('#consent-result').innerText(), /^Not saved: this browser did not keep your choice, so Google Analytics stays off\./);
    assert.ok(await blocked.page.locator('#service-ga').getByText('Google Analytics is off until you agree to it.').isVisible());
    blocked.check(REFUSED);
    await blocked.close();
  });

  it('plays YouTube at once, on every visit, once allowed on a placeholder or in the privacy choices', async () => {
    const PLAYER = [/^https:\/\/www\.youtube-nocookie\.com\/embed\//];
    const v = await visitor(browser);
    await v.page.goto(`${origin()}/blog/2024/hello`);
    assert.equal(await v.page.locator('iframe').count(), 0, 'two-click until allowed');
    await v.page.getByRole('button', { name: 'Always allow YouTube' }).click();
    await v.page.locator('iframe[src^="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"]').waitFor({ state: 'attached' });
    assert.ok((await v.cookies()).some((c) => /^privacy-consent=1~.*~youtube~$/.test(c)), JSON.stringify(await v.cookies()));
    await v.page.reload();
    await v.page.waitForLoadState('load');
    assert.equal(await v.page.locator('.privacy-pages-embed').count(), 0);
    assert.equal(await v.page.locator('iframe[title="YouTube video player"]').count(), 1, "the operator's own player, as written");
    assert.ok(await v.page.getByRole('button', { name: 'Accept all' }).isVisible(), 'the banner still asks about the rest');
    v.check([/ERR_FAILED|net::/, ...REFUSED], { aborted: PLAYER });
    await v.close();

    const plain = await visitor(browser, { javaScriptEnabled: false });
    await plain.page.goto(`${origin()}/_privacy/choices`);
    await plain.page.getByRole('button', { name: 'Turn on YouTube' }).click();
    await plain.page.waitForURL(/optin=youtube$/);
    await plain.page.goto(`${origin()}/blog/2024/hello`);
    assert.equal(await plain.page.locator('iframe[title="YouTube video player"]').count(), 1);
    plain.check([/ERR_FAILED|net::/], { aborted: PLAYER });
    await plain.close();
  });

  it('asks a browser that sends Global Privacy Control nothing, and sends it nothing', async () => {
    const v = await visitor(browser, { extraHTTPHeaders: { 'Sec-GPC': '1' } });
    const { counts: seen, asked } = await browse(v);
    assert.deepEqual(asked, []);
    for (const vendor of ['ga', 'hotjar', 'carbon', 'plausible']) {
      assert.equal(seen[vendor], 0, `${vendor} reached a GPC visitor: ${JSON.stringify(seen)}`);
    }
    await v.page.goto(`${origin()}/_privacy/choices`);
    assert.match(await v.page.locator('main').innerText(), /Global Privacy Control/);
    v.check(REFUSED);
    await v.close();
  });

  it('can be used with the keyboard alone', async () => {
    const v = await visitor(browser);
    await v.page.goto(`${origin()}/`);
    const focused = [];
    for (let i = 0; i < 4; i += 1) {
      await v.page.keyboard.press('Tab');
      focused.push(await v.page.evaluate(() => document.activeElement.textContent.trim()));
    }
    assert.deepEqual(focused, ['Privacy policy', 'Accept all', 'Reject all', 'Choose'], 'the banner first, in reading order');
    await v.page.keyboard.press('Shift+Tab');
    await v.page.keyboard.press('Enter');
    await v.page.waitForURL(/consent=rejected$/);
    assert.equal(await v.page.locator('[role=status]').first().innerText(), 'Saved: Google Analytics and Hotjar stay off. You can change this at any time under “Privacy choices”.');
    v.check(REFUSED);
    await v.close();
  });

  it('passes axe on the banner, which covers no text, in both languages, light and dark, on the shop and on the policy', async () => {
    const axeSource = fs.readFileSync(path.join(ROOT, 'tests/e2e/node_modules/axe-core/axe.min.js'), 'utf8');
    for (const locale of ['en-US', 'de-DE']) for (const colorScheme of ['light', 'dark']) for (const page of ['/', '/privacy']) {
      const v = await visitor(browser, { locale, colorScheme });
      await v.page.goto(origin() + page);
      await v.page.evaluate(axeSource);
      const results = await v.page.evaluate(() => window.axe.run(document.querySelector('#privacy-pages-banner'), { resultTypes: ['violations'] }));
      const serious = results.violations.filter((x) => ['serious', 'critical'].includes(x.impact)).map((x) => x.id);
      assert.deepEqual(serious, [], `${locale} ${colorScheme} ${page}`);
      // In the page's flow, above the text: it covers nothing.
      const [position, bottom, text] = await v.page.evaluate(() => {
        const section = document.querySelector('#privacy-pages-banner');
        return [getComputedStyle(section).position, section.getBoundingClientRect().bottom,
          document.querySelector('h1').getBoundingClientRect().top];
      });
      assert.equal(position, 'static');
      assert.ok(bottom <= text, `the banner ends (${bottom}) before the heading starts (${text})`);
      v.check(REFUSED);
      await v.close();
    }
  });

  it('asks again when the policy changes with reconsent: true, and says what changed', async () => {
    const v = await visitor(browser);
    await v.page.goto(`${origin()}/`);
    await v.page.getByRole('button', { name: 'Accept all' }).click();
    await v.page.waitForURL(/consent=accepted$/);
    assert.equal((await browse(v)).asked.length, 0);

    // The operator publishes a new version that changes what visitors agreed to.
    const site = path.join(shop.dir, 'opt_in/content/shop.example');
    for (const lang of ['en', 'de']) {
      fs.renameSync(path.join(site, `privacy.${lang}.md`), path.join(site, `privacy/2026-11-01.${lang}.md`));
    }
    fs.writeFileSync(path.join(site, 'privacy.en.md'), `---
title: Privacy Policy
lastupdate: 2026-11-30
reconsent: true
changes:
  - Google Analytics now also measures conversions.
---

## Analytics

With your consent we use Google Analytics, now also to measure conversions, and Hotjar.
[Disable Google Analytics](javascript:gaOptout();), [Disable Hotjar](javascript:hotjarOptout();).

## Advertising

[Disable Carbon Ads](javascript:carbonOptout();)

## Statistics

[Disable Plausible](javascript:plausibleOptout();)
`);
    server.signal('SIGHUP');
    const deadline = Date.now() + 10000;
    let text = '';
    while (!text.includes('has changed') && Date.now() < deadline) {
      await v.page.waitForTimeout(100);
      await v.page.goto(`${origin()}/`);
      text = await v.page.locator('body').innerText();
    }
    assert.match(await banner(v).innerText(), /Our privacy policy has changed since you last chose, so we ask again\./);
    const { counts: seen, asked } = await browse(v);
    assert.deepEqual(asked, PAGES, 'asked again on every page');
    assert.equal(seen.ga, 0, `the old yes no longer counts: ${JSON.stringify(seen)}`);
    await v.page.goto(`${origin()}/`);
    await banner(v).getByRole('link', { name: 'What changed' }).click();
    await v.page.waitForURL(/\/privacy\/changes$/);
    assert.match(await v.page.locator('main').innerText(), /measure conversions/);
    v.check(REFUSED);
    await v.close();
  });
});
