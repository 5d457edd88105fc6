// The promise a confirmation makes: "Saved" means the browser kept the
// opt-out, and the service stays off on every page afterwards. Served with
// octoprint.org's real cookie domain, which no loopback host lies inside, at
// an address (127.0.0.1, no host mapping) and at a mapped name
// (octoprint.localhost): the two ways an operator's staging or preview
// deployment is reached. And a browser that blocks cookies is told the truth.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import {
  launchBrowser, launchCookielessVisitor, startServer, startStub, visitor, writeTestContent,
} from './harness.mjs';

let stub; let server; let browser; let contentDir;

before(async () => {
  stub = await startStub();
  contentDir = writeTestContent(stub.origin, { cookieDomain: 'octoprint.org' });
  server = await startServer(contentDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
  await stub?.close();
  if (contentDir) fs.rmSync(contentDir, { recursive: true, force: true });
});

// Every page of the site a visitor may reach next, error page included.
const EVERY_PAGE = ['/', '/privacy', '/privacy/versions', '/privacy/2018-05-22', '/privacy/2018-05-22?lang=de', '/nope'];
const SAVED = 'Saved: Carbon Ads is now disabled for this browser.';
const NOT_SAVED = /^Not saved: this browser did not keep the setting, so Carbon Ads is not disabled\./;
const hosts = () => [
  { name: '127.0.0.1 (no host mapping)', origin: server.origin, hostname: '127.0.0.1' },
  { name: 'octoprint.localhost (outside the cookie domain)', origin: server.origin.replace('127.0.0.1', 'octoprint.localhost'), hostname: 'octoprint.localhost' },
];

/** Browses every page with scripts on, holding `cookies`; returns the Carbon and Plausible requests. */
async function browseEverything(origin, cookies) {
  const js = await visitor(browser);
  await js.context.addCookies(cookies);
  stub.reset();
  for (const page of EVERY_PAGE) {
    await js.page.goto(origin + page);
    await js.page.waitForLoadState('load');
  }
  const counts = { carbon: stub.count('/carbon.js'), plausible: stub.count('/plausible.js') };
  js.check([/status of 404/]);
  await js.close();
  return counts;
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
  describe(`opting out ${mode}`, () => {
    for (const index of [0, 1]) {
      it(`at host #${index + 1}: confirmed, kept host-only, and Carbon is off on every page`, async () => {
        const host = hosts()[index];
        const v = await visitor(browser, { javaScriptEnabled });
        await v.page.goto(`${host.origin}/privacy`);
        await v.page.getByRole('button', { name: 'Disable Carbon Ads' }).click();
        if (javaScriptEnabled) {
          const result = v.page.locator('#consent-result');
          await result.waitFor();
          assert.equal(await result.innerText(), SAVED, host.name);
          assert.equal(await result.getAttribute('class'), 'notice notice-saved');
        } else {
          await v.page.waitForURL(/optout=carbon/);
          assert.equal(await v.page.locator('.notice-saved').innerText(), SAVED, host.name);
        }
        const cookies = await v.context.cookies();
        const kept = cookies.find((c) => c.name === 'carbon-disable');
        assert.ok(kept, `the browser kept the opt-out at ${host.name}`);
        assert.equal(kept.value, 'true');
        assert.equal(kept.domain, host.hostname, 'host-only: the cookie domain does not cover this host');
        const counts = await browseEverything(host.origin, cookies);
        assert.equal(counts.carbon, 0, `carbon.js requested after opt-out at ${host.name}`);
        assert.ok(counts.plausible >= EVERY_PAGE.length, 'the other services still load');
        v.check();
        await v.close();
      });
    }

    it('in a browser that blocks cookies: "not saved", said in the visitor\'s language', async () => {
      for (const [locale, path, label, pattern] of [
        ['en-US', '/privacy', 'Disable Carbon Ads', NOT_SAVED],
        ['de-DE', '/privacy/2018-05-22?lang=de', 'Google Analytics deaktivieren', /^Nicht gespeichert: Dieser Browser hat die Einstellung nicht behalten, Google Analytics ist daher nicht deaktiviert\./],
      ]) {
        const v = await launchCookielessVisitor({ javaScriptEnabled, locale });
        try {
          await v.page.goto(server.origin + path);
          await v.page.getByRole('button', { name: label }).click();
          let notice;
          if (javaScriptEnabled) {
            notice = v.page.locator('#consent-result.notice-unsaved');
            await notice.waitFor({ timeout: 10000 });
            // The control did not flip: the opt-out button is still offered.
            assert.ok(await v.page.getByRole('button', { name: label }).isVisible());
          } else {
            await v.page.waitForURL(/optout=/, { timeout: 10000 });
            notice = v.page.locator('.notice-unsaved');
          }
          assert.match(await notice.innerText({ timeout: 10000 }), pattern);
          assert.equal(await v.page.locator('.notice-saved').count(), 0, 'nothing says "saved"');
          assert.deepEqual(await v.context.cookies(), [], 'and indeed nothing was kept');
          v.check();
        } finally {
          // Its own browser: the shared one's `after` would not close it.
          await v.close();
        }
      }
    });
  });
}

describe('a link that merely carries ?optout=carbon', () => {
  it('never displays a success message', async () => {
    for (const host of hosts()) {
      const v = await visitor(browser);
      stub.reset();
      await v.page.goto(`${host.origin}/privacy?optout=carbon`);
      assert.equal(await v.page.locator('.notice-saved').count(), 0);
      assert.match(await v.page.locator('.notice-unsaved').innerText(), NOT_SAVED);
      await v.page.waitForFunction(() => (window.__stubLoaded || []).length >= 3);
      assert.equal(stub.count('/carbon.js'), 1, 'and Carbon is, truthfully, still on');
      v.check();
      await v.close();
    }
  });
});
