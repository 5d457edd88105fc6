// Everything a browser test needs, all on loopback: a stub that stands in for
// every third-party script host and records what was requested, the release
// binary serving test content whose script URLs point at the stub, the
// `embed` example (an operator's own pages behind the script gate), and
// Chromium that may talk to nothing else.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BINARY = path.join(ROOT, 'target/release/privacy-pages');
const EMBED = path.join(ROOT, 'target/release/examples/embed');
export const SCREENSHOTS = path.join(ROOT, 'target/e2e-screenshots');

/** Loopback only: 127.0.0.1 and `*.localhost` (which Chromium resolves to loopback). */
export function isLoopback(url) {
  const { hostname } = new URL(url);
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname.endsWith('.localhost');
}

/** The third-party stand-in: answers any path with a tiny script and records it. */
export async function startStub() {
  const hits = [];
  const server = http.createServer((request, response) => {
    hits.push(new URL(request.url, 'http://stub').pathname);
    response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
    response.end(`window.__stubLoaded = (window.__stubLoaded || []).concat(${JSON.stringify(request.url)});\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    count: (prefix) => hits.filter((hit) => hit.startsWith(prefix)).length,
    reset: () => { hits.length = 0; },
    hits,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * The bundled content with every site also answering `<name>.localhost`, and
 * octoprint.org's services loading from the stub, all active (GA too, so its
 * opt-out can be seen working). With `cookieDomain`, octoprint.org keeps the
 * cookie domain an operator sets: a domain no loopback host lies inside, so
 * every opt-out there must come back host-only to be kept at all.
 */
export function writeTestContent(stubOrigin, { cookieDomain } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-pages-e2e-'));
  fs.cpSync(path.join(ROOT, 'content'), dir, { recursive: true });
  for (const site of fs.readdirSync(dir)) {
    const toml = path.join(dir, site, 'site.toml');
    if (!fs.existsSync(toml)) continue;
    const name = site.split('.')[0];
    const text = fs.readFileSync(toml, 'utf8').replace(/^hosts = \[(.*)\]$/m, `hosts = [$1, "${name}.localhost"]`);
    fs.writeFileSync(toml, text);
  }
  fs.writeFileSync(path.join(dir, 'octoprint.org/site.toml'), `
name = "OctoPrint"
hosts = ["octoprint.org", "www.octoprint.org", "octoprint.localhost"]
default_language = "en"
default = true
${cookieDomain ? `cookie_domain = "${cookieDomain}"` : ''}

[services.carbon]
name = "Carbon Ads"
kind = "carbon"
serve = "CTEST"
placement = "e2e"
script_url = "${stubOrigin}/carbon.js"
active = true

[services.plausible]
name = "Plausible Analytics"
kind = "plausible"
domain = "octoprint.org"
script_url = "${stubOrigin}/plausible.js"
active = true

[services.ga]
name = "Google Analytics"
kind = "google-analytics"
measurement_id = "G-E2ETEST"
script_url = "${stubOrigin}/gtag/js"
active = true
`);
  return dir;
}

/** Each vendor's hosts as the fixture pages spell them. */
export const VENDORS = {
  carbon: ['https://cdn.carbonads.com', '//cdn.carbonads.com'],
  ga: ['https://www.googletagmanager.com', 'https://www.google-analytics.com'],
  plausible: ['https://plausible.io'],
  hotjar: ['https://static.hotjar.com'],
};

/**
 * The fronted shop of tests/fixtures/front (its site and content), every
 * vendor host in its pages replaced by that vendor's stub, in a new folder:
 * `<dir>/front/`. With `fixture` (`opt_in`), that fixture's content is
 * copied beside it (`<dir>/opt_in/content`, whose `root` points at the
 * shop's site) and gets the stubs instead. Returns `<dir>`.
 */
export function writeFrontedShop(stubs, fixture = 'front') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-pages-front-'));
  const out = path.join(dir, 'front');
  fs.cpSync(path.join(ROOT, 'tests/fixtures/front'), out, { recursive: true });
  if (fixture !== 'front') fs.cpSync(path.join(ROOT, 'tests/fixtures', fixture), path.join(dir, fixture), { recursive: true });
  const walk = (folder) => fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => (
    entry.isDirectory() ? walk(path.join(folder, entry.name)) : [path.join(folder, entry.name)]));
  for (const file of walk(path.join(out, 'site')).filter((f) => f.endsWith('.html'))) {
    let html = fs.readFileSync(file, 'utf8');
    for (const [name, hosts] of Object.entries(VENDORS)) {
      for (const host of hosts) html = html.replaceAll(host, host.startsWith('//') ? stubs[name].origin.slice(5) : stubs[name].origin);
    }
    fs.writeFileSync(file, html);
  }
  // A loader that spells its host in pieces: neither the host nor an account
  // id appears in the page, so only the Content-Security-Policy can stop it.
  const [, port] = stubs.carbon.origin.match(/:(\d+)$/);
  fs.writeFileSync(path.join(out, 'site/sneaky.html'), `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sneaky</title></head>
<body><h1>A page with a loader the gate does not know</h1>
<script>
  var s = document.createElement('script');
  s.src = ['http://127.0.0.1', ':', '${port.split('').join("' + '")}', '/carbon.js?sneaky'].join('');
  document.body.appendChild(s);
</script>
</body></html>
`);
  const toml = path.join(dir, fixture, 'content/shop.example/site.toml');
  let text = fs.readFileSync(toml, 'utf8')
    .replace('hosts = ["shop.example", "www.shop.example"]', 'hosts = ["shop.example", "shop.localhost"]');
  for (const [service, url] of [
    ['carbon', `${stubs.carbon.origin}/carbon.js`],
    ['ga', `${stubs.ga.origin}/gtag/js`],
    ['plausible', `${stubs.plausible.origin}/js/script.js`],
  ]) {
    text = text.replace(`[services.${service}]\n`, `[services.${service}]\nscript_url = "${url}"\n`);
  }
  text = text.replace('https://static.hotjar.com/c/hotjar-3456789.js?sv=6', `${stubs.hotjar.origin}/c/hotjar-3456789.js?sv=6`)
    .replace('csp = "enforce"\n', `csp = "enforce"\ncsp_sources = ["${stubs.plausible.origin}"]\n`);
  fs.writeFileSync(toml, text);
  return dir;
}

/**
 * The fronted shop (`writeFrontedShop`) served from `fixture`'s content,
 * its vendors' stubs, and a browser: what the fronted-site suites share.
 */
export async function startFrontedShop(fixture = 'front') {
  const stubs = {};
  for (const name of Object.keys(VENDORS)) stubs[name] = await startStub();
  const dir = writeFrontedShop(stubs, fixture);
  const server = await startServer(path.join(dir, fixture, 'content'));
  const browser = await launchBrowser();
  return {
    stubs,
    server,
    browser,
    dir,
    /** The shop at a name of its own, as a browser reaches it. */
    origin: () => server.origin.replace('127.0.0.1', 'shop.localhost'),
    /** Requests per vendor since the last reset. */
    counts: () => Object.fromEntries(Object.entries(stubs).map(([name, stub]) => [name, stub.hits.length])),
    resetStubs: () => Object.values(stubs).forEach((stub) => stub.reset()),
    async stop() {
      await browser.close();
      server.stop();
      for (const stub of Object.values(stubs)) await stub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a process and resolves with the address it prints, matched by `pattern`. */
function startProcess(command, args, env, pattern) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({
          origin: `http://${match[1]}`,
          stop: () => child.kill('SIGTERM'),
          signal: (name) => child.kill(name),
          output: () => output,
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${command} exited with ${code}:\n${output}`)); });
  });
}

export function startServer(contentDir) {
  // tracing prints `address=127.0.0.1:PORT` (ANSI colours off when not a terminal).
  return startProcess(BINARY, ['--listen', '127.0.0.1:0', '--content', contentDir],
    { NO_COLOR: '1', RUST_LOG: 'info' }, /address=(127\.0\.0\.1:\d+)/);
}

export function startEmbed(contentDir) {
  return startProcess(EMBED, [], { EMBED_LISTEN: '127.0.0.1:0', EMBED_CONTENT: contentDir }, /listening on http:\/\/(127\.0\.0\.1:\d+)/);
}

const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.0.0.1',
  ],
};

export function launchBrowser() {
  return chromium.launch(CHROMIUM);
}

/**
 * A browser whose own setting blocks every cookie ("Block all cookies" in
 * Chromium's settings: the profile's default content setting for cookies is
 * 2, block). Set-Cookie is ignored and `document.cookie` stays empty, as for
 * a visitor who chose that. Returns what `visitor()` returns, plus `stop()`.
 */
export async function launchCookielessVisitor(options = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-pages-nocookies-'));
  fs.mkdirSync(path.join(profile, 'Default'));
  fs.writeFileSync(path.join(profile, 'Default/Preferences'), JSON.stringify({
    profile: { default_content_setting_values: { cookies: 2 } },
  }));
  const context = await chromium.launchPersistentContext(profile, { ...CHROMIUM, ...options });
  const v = await guard(context, options);
  return {
    ...v,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh browser context (its own cookie jar) that aborts, and records, any
 * request off loopback, and collects console errors, page errors and CSP
 * violations. `check()` fails the test on any of them.
 */
export async function visitor(browser, options = {}) {
  return guard(await browser.newContext(options), options);
}

/** `visitor()` for a context made elsewhere. */
async function guard(context, options) {
  const offLoopback = [];
  const errors = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || isLoopback(url)) return route.continue();
    offLoopback.push(url);
    return route.abort();
  });
  if (options.javaScriptEnabled !== false) {
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
    });
  }
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    /**
     * Fails on any request off loopback (aborted, so nothing left the
     * machine) but those matching `aborted`, which a test expects the page
     * to attempt, and on console errors other than `expected` ones.
     */
    check(expected = [], { aborted = [] } = {}) {
      const unexpectedOff = offLoopback.filter((url) => !aborted.some((pattern) => pattern.test(url)));
      if (unexpectedOff.length) throw new Error(`requests off loopback: ${unexpectedOff.join(', ')}`);
      const unexpected = errors.filter((error) => !expected.some((pattern) => pattern.test(error)));
      if (unexpected.length) throw new Error(`console errors: ${unexpected.join(' | ')}`);
    },
    cookies: async () => (await context.cookies()).map((c) => `${c.name}=${c.value}`),
    /** What the page tried to reach off loopback (and was refused). */
    offLoopback: () => [...offLoopback],
    close: () => context.close(),
  };
}
