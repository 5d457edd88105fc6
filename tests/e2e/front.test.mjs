// The promise on every page: privacy-pages in front of a whole static site
// (tests/fixtures/front, with the vendors' snippets pasted as the vendors
// publish them, every vendor host moved to its own stub on loopback). A
// visitor who opts out on the policy page, or whose browser sends GPC, gets
// none of those services on any page of the site, with JavaScript and
// without; the site's own scripts keep running.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ROOT, startFrontedShop, visitor } from './harness.mjs';

// The YouTube player stays at its real address: the gate turns it into a
// placeholder that contacts nobody, and a click's request is refused by the
// guard (nothing leaves the machine); the test checks it was attempted.
const YOUTUBE = [/^https:\/\/www\.youtube-nocookie\.com\/embed\//];
// `/sneaky` (written below) loads Carbon in a way the gate cannot recognise.
const PAGES = ['/', '/blog/', '/blog/2024/hello', '/about/', '/no-such-page', '/sneaky'];
// What Chromium says when the site's policy refuses a turned-off service.
const REFUSED = [/status of 404/, /Content Security Policy/, /CSP violation/];

let shop; let stubs; let server; let browser;

before(async () => {
  shop = await startFrontedShop();
  ({ stubs, server, browser } = shop);
});

after(async () => { await shop?.stop(); });

const origin = () => shop.origin();
const counts = () => shop.counts();
const resetStubs = () => shop.resetStubs();

/** Every page of the site, in one visitor's browser; what each vendor got. */
async function browse(v, at = origin()) {
  resetStubs();
  const ran = [];
  for (const page of PAGES) {
    await v.page.goto(at + page);
    await v.page.waitForLoadState('load');
    // Give async loaders (Hotjar's, gtag's) their moment.
    await v.page.waitForTimeout(150);
    if (page === '/') ran.push(await v.page.evaluate(() => ({ ...document.documentElement.dataset })));
  }
  return { counts: counts(), home: ran[0] };
}

describe('a fronted static site', () => {
  it('loads every vendor for a visitor who allows them (so that zero below means something)', async () => {
    const v = await visitor(browser);
    const { counts: seen, home } = await browse(v);
    assert.ok(seen.carbon >= 3, `carbon.js on the blog pages and /sneaky: ${JSON.stringify(seen)}`);
    assert.equal(stubs.carbon.count('/carbon.js'), seen.carbon);
    assert.ok(seen.ga >= 1, `gtag.js on the home page: ${JSON.stringify(seen)}`);
    assert.ok(seen.plausible >= 4, `Plausible on every page that has it: ${JSON.stringify(seen)}`);
    assert.ok(seen.hotjar >= 1, `Hotjar's loader fetched its script: ${JSON.stringify(seen)}`);
    assert.equal(home.siteScript, 'ran');
    assert.equal(home.siteJs, 'loaded');
    v.check([/status of 404/]);
    await v.close();
  });

  // At a mapped name and at the bare address (no host mapping): the two
  // ways a staging or preview deployment is reached.
  const hosts = () => [['shop.localhost', origin()], ['127.0.0.1', server.origin]];
  for (const javaScriptEnabled of [true, false]) for (const index of [0, 1]) {
    const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
    it(`keeps an opt-out made on the policy page on every page of the site, ${mode}, at host #${index + 1}`, async () => {
      const [, at] = hosts()[index];
      const v = await visitor(browser, { javaScriptEnabled });
      await v.page.goto(`${at}/privacy`);
      for (const [service, id] of [['Carbon Ads', 'carbon'], ['Google Analytics', 'ga']]) {
        await v.page.getByRole('button', { name: `Disable ${service}` }).click();
        if (javaScriptEnabled) {
          // The notice names the service: after the second click the first
          // one's notice is still there, and waiting for it raced the cookie.
          await v.page.locator('#consent-result.notice-saved', { hasText: `Saved: ${service} is now disabled` }).waitFor();
        } else {
          await v.page.waitForURL(new RegExp(`optout=${id}\\b`));
        }
      }
      const kept = (await v.cookies()).sort();
      assert.deepEqual(kept, ['carbon-disable=true', 'ga-disable-G-SHOP123=true']);
      const { counts: seen } = await browse(v, at);
      assert.equal(seen.carbon, 0, `Carbon after opting out (/sneaky refused by the CSP): ${JSON.stringify(seen)}`);
      assert.equal(seen.ga, 0, `GA (gtag.js, analytics.js, the noscript pixel) after opting out: ${JSON.stringify(seen)}`);
      if (javaScriptEnabled) {
        assert.ok(seen.plausible >= 4, `the other services still load: ${JSON.stringify(seen)}`);
      }
      v.check(REFUSED);
      await v.close();
    });
  }

  it('without JavaScript, the GA pixel in <noscript> loads until the visitor opts out', async () => {
    const v = await visitor(browser, { javaScriptEnabled: false });
    resetStubs();
    await v.page.goto(`${origin()}/about/`);
    await v.page.waitForLoadState('load');
    assert.equal(stubs.ga.count('/collect'), 1, 'the pixel is requested by a visitor who allows GA');
    await v.close();
  });

  it('sends nothing of any vendor to a browser that sends Global Privacy Control', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const v = await visitor(browser, { javaScriptEnabled, extraHTTPHeaders: { 'Sec-GPC': '1' } });
      const { counts: seen, home } = await browse(v);
      for (const vendor of ['carbon', 'ga', 'plausible', 'hotjar']) {
        assert.equal(seen[vendor], 0, `${vendor} reached a GPC visitor: ${JSON.stringify(seen)}`);
      }
      if (javaScriptEnabled) {
        assert.equal(home.siteScript, 'ran', "the site's own inline script still runs");
        assert.equal(home.siteJs, 'loaded', "and its own script file");
      }
      v.check(REFUSED);
      await v.close();
    }
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`turns a service off from the privacy choices linked in the footer, ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, async () => {
      const v = await visitor(browser, { javaScriptEnabled });
      await v.page.goto(`${origin()}/`);
      await v.page.getByRole('link', { name: 'Privacy choices' }).click();
      await v.page.getByRole('button', { name: 'Turn off Plausible Analytics' }).click();
      if (javaScriptEnabled) {
        await v.page.locator('#consent-result.notice-saved').waitFor();
        assert.ok(await v.page.getByText('Plausible Analytics is disabled for this browser.').isVisible());
      } else {
        await v.page.waitForURL(/\/_privacy\/choices\?optout=plausible$/);
        assert.match(await v.page.locator('.notice-saved').innerText(), /^Saved: Plausible Analytics is now disabled/);
      }
      assert.deepEqual(await v.cookies(), ['plausible-disable=true']);
      const { counts: seen } = await browse(v);
      assert.equal(seen.plausible, 0, JSON.stringify(seen));
      if (javaScriptEnabled) assert.ok(seen.carbon >= 3, JSON.stringify(seen));
      v.check(REFUSED);
      await v.close();
    });
  }

  it('passes axe on the privacy choices', async () => {
    const axeSource = fs.readFileSync(path.join(ROOT, 'tests/e2e/node_modules/axe-core/axe.min.js'), 'utf8');
    for (const locale of ['en-US', 'de-DE']) {
      const v = await visitor(browser, { locale });
      await v.page.goto(`${origin()}/_privacy/choices`);
      await v.page.evaluate(axeSource);
      const results = await v.page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      const serious = results.violations.filter((x) => ['serious', 'critical'].includes(x.impact)).map((x) => x.id);
      assert.deepEqual(serious, [], locale);
      v.check();
      await v.close();
    }
  });

  it('shows a video as a placeholder that contacts nobody until it is clicked', async () => {
    const v = await visitor(browser);
    await v.page.goto(`${origin()}/blog/2024/hello`);
    await v.page.waitForLoadState('load');
    const placeholder = v.page.locator('.privacy-pages-embed');
    assert.match(await placeholder.innerText(), /Playing this video connects to YouTube \(Google\)/);
    assert.equal(await v.page.locator('iframe').count(), 0);
    v.check([], { aborted: [] });
    await v.page.getByRole('button', { name: 'Play video (connects to YouTube)' }).click();
    const player = v.page.locator('iframe[title="YouTube video player"]');
    await player.waitFor({ state: 'attached' });
    assert.equal(await player.getAttribute('src'), 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1');
    await v.page.waitForTimeout(200);
    assert.ok(v.offLoopback().some((url) => YOUTUBE[0].test(url)), 'the click, and only the click, asked for the player');
    v.check([/ERR_FAILED|net::/], { aborted: YOUTUBE });
    await v.close();

    const plain = await visitor(browser, { javaScriptEnabled: false });
    await plain.page.goto(`${origin()}/blog/2024/hello`);
    const link = plain.page.getByRole('link', { name: 'Watch “YouTube video player” on YouTube' });
    assert.equal(await link.getAttribute('href'), 'https://www.youtube.com/watch?v=dQw4w9WgXcQ');
    plain.check();
    await plain.close();
  });

  it('passes axe on a page with a video placeholder', async () => {
    const axeSource = fs.readFileSync(path.join(ROOT, 'tests/e2e/node_modules/axe-core/axe.min.js'), 'utf8');
    const v = await visitor(browser);
    await v.page.goto(`${origin()}/blog/2024/hello`);
    await v.page.evaluate(axeSource);
    const results = await v.page.evaluate(() => window.axe.run(document.querySelector('.privacy-pages-embed'), { resultTypes: ['violations'] }));
    const serious = results.violations.filter((x) => ['serious', 'critical'].includes(x.impact)).map((x) => x.id);
    assert.deepEqual(serious, []);
    v.check();
    await v.close();
  });

  it('answers the site\'s own 404 page and privacy-pages\' own pages under /_privacy', async () => {
    const v = await visitor(browser);
    const missing = await v.page.goto(`${origin()}/no-such-page`);
    assert.equal(missing.status(), 404);
    assert.equal(await v.page.locator('h1').innerText(), 'This page is not in the shop');
    assert.equal((await v.page.goto(`${origin()}/_privacy/`)).status(), 200);
    assert.equal(await v.page.locator('h1').innerText(), 'Policies');
    assert.equal((await v.page.goto(`${origin()}/privacy`)).status(), 200);
    v.check([/status of 404/]);
    await v.close();
  });
});
