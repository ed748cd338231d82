// The console's shell (contract section 9): sign-in and sign-out, the session cookie, no web
// storage, the security and caching headers of the page and its files, a cross-site form post
// and a cross-origin fetch refused, a walk through every screen at 1280 and 360 pixels (no CSP
// violation, no console error, no serious or critical axe finding, a screenshot each), and the
// whole round by keyboard alone.
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { test } from 'node:test';
import {
  OPERATOR,
  OPERATOR_USER,
  SCREENS,
  SESSION_COOKIE,
  adminApi,
  consoleSuite,
  expectNoProblems,
  newPage,
  rawRequest,
  runAxe,
  screenshot,
  signIn,
} from './harness.mjs';

const WIDTHS = [
  { width: 1280, suffix: '' },
  { width: 360, suffix: '-narrow' },
];
// What a browser logs for a request answered 401 (a wrong password, or the session check of a
// page opened without a session): expected where the test provokes it, nowhere else.
const LOGGED_401 = /^console: Failed to load resource: the server responded with a status of 401/;

const suite = consoleSuite({ demo: true });

async function sessionCookie(page) {
  return (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE);
}

// GET /console/api/session with `token` as the cookie, from outside the browser.
async function sessionStatus(token) {
  const r = await rawRequest(suite.server, 'GET', '/console/api/session', {
    Cookie: `${SESSION_COOKIE}=${token}`,
  });
  return r.status;
}

test('sign in and sign out: the cookie, then the cookie gone and refused', async () => {
  const page = await newPage(suite.browser, suite.server);
  const login = page.waitForResponse((r) => r.url().endsWith('/console/login') && r.request().method() === 'POST');
  await signIn(page, suite.server);
  const setCookie = (await (await login).allHeaders())['set-cookie'];
  assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
  assert.doesNotMatch(setCookie, /domain=/i);
  for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) {
    assert.ok(setCookie.split('; ').includes(attr), `${attr} in ${setCookie}`);
  }
  const cookie = await sessionCookie(page);
  assert.ok(cookie, 'the session cookie is kept');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');
  assert.equal(cookie.domain, new URL(suite.server.url).hostname); // host-only: no Domain attribute
  // The header names the operator, and the page cannot read the cookie.
  await page.getByRole('banner').getByText(`Signed in as ${OPERATOR_USER}`).waitFor();
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.equal(await sessionStatus(cookie.value), 200);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/console\/login$/);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await sessionCookie(page), undefined, 'the cookie is cleared');
  assert.equal(await sessionStatus(cookie.value), 401, 'the old cookie is refused');
  // Back to a screen: the sign-in page again.
  await page.goto(`${suite.server.url}/console/apps`);
  await page.waitForURL(/\/console\/login\?next=%2Fconsole%2Fapps$/);
  expectNoProblems(page, { allow: [LOGGED_401] });
  await page.context().close();
});

test('a wrong password shows the error and sets no cookie', async () => {
  const page = await newPage(suite.browser, suite.server);
  await page.goto(`${suite.server.url}/console/login`);
  await page.getByLabel('User name').fill(OPERATOR_USER);
  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'The user name or password is not correct.' }).waitFor();
  assert.equal(await sessionCookie(page), undefined);
  assert.match(page.url(), /\/console\/login$/);
  expectNoProblems(page, { allow: [LOGGED_401] });
  await page.context().close();
});

test('repeated failures are throttled and the form says so', async () => {
  const page = await newPage(suite.browser, suite.server);
  await page.goto(`${suite.server.url}/console/login`);
  const name = `nobody-${Date.now()}`;
  // Five failures per user name, then 429 (docs/console.md): the same for a name that does not
  // exist.
  for (let i = 0; i < 6; i++) {
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password', { exact: true }).fill(`wrong password ${i}`);
    const answer = page.waitForResponse((r) => r.url().endsWith('/console/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const status = (await answer).status();
    assert.equal(status, i < 5 ? 401 : 429, `attempt ${i + 1}`);
    await page.getByRole('button', { name: 'Sign in' }).and(page.locator(':enabled')).waitFor();
  }
  await page.getByRole('alert').filter({ hasText: 'Too many failed sign-ins' }).waitFor();
  assert.equal(await sessionCookie(page), undefined);
  expectNoProblems(page, { allow: [LOGGED_401, /status of 429/] });
  await page.context().close();
});

test('an operator changes their own password from the header', async () => {
  const user = `pw-operator-${Date.now()}`;
  const first = 'first password 0123';
  const second = 'second password 4567';
  const created = await adminApi(suite.server, 'POST', '/admin/v1/Operators', { userName: user, password: first });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const page = await newPage(suite.browser, suite.server);
  await signIn(page, suite.server, { user, password: first });
  await page.getByRole('button', { name: 'Change password' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change your password' });
  await dialog.waitFor();
  await runAxe(page);
  await screenshot(page, 'password');
  // A wrong current password: the server's refusal, and the session goes on.
  await dialog.getByLabel('Current password').fill('not my password 000');
  await dialog.getByLabel('New password', { exact: true }).fill(second);
  await dialog.getByLabel('Repeat the new password').fill(second);
  await dialog.getByRole('button', { name: 'Change password' }).click();
  await dialog.getByRole('alert').waitFor();
  assert.match(page.url(), /\/console\/$/);
  // Two new passwords that differ: refused before asking the server.
  await dialog.getByLabel('Current password').fill(first);
  await dialog.getByLabel('Repeat the new password').fill(`${second}x`);
  await dialog.getByRole('button', { name: 'Change password' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'The two new passwords differ.' }).waitFor();
  await dialog.getByLabel('Repeat the new password').fill(second);
  await dialog.getByRole('button', { name: 'Change password' }).click();
  await dialog.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/console\/login$/);
  // The old password no longer works; the new one does.
  const old = await fetch(`${suite.server.url}/console/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: first }),
  });
  assert.equal(old.status, 401);
  await signIn(page, suite.server, { user, password: second });
  expectNoProblems(page, { allow: [LOGGED_401] });
  await page.context().close();
});

test('a deep link without a session signs in and comes back to it', async () => {
  const page = await newPage(suite.browser, suite.server);
  await page.goto(`${suite.server.url}/console/users`);
  await page.waitForURL(/\/console\/login\?next=%2Fconsole%2Fusers$/);
  await page.getByLabel('User name').fill(OPERATOR_USER);
  await page.getByLabel('Password', { exact: true }).fill(OPERATOR);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/users$/);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  // Another site's address is never a place to come back to.
  await page.goto(`${suite.server.url}/console/login?next=${encodeURIComponent('//example.com/')}`);
  await page.getByLabel('User name').fill(OPERATOR_USER);
  await page.getByLabel('Password', { exact: true }).fill(OPERATOR);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${suite.server.url}/console/`);
  expectNoProblems(page, { allow: [LOGGED_401] });
  await page.context().close();
});

// ------------------------------------------------------------------ headers, caching, encoding

const CSP_PARTS = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"];

function expectSecurityHeaders(r, what) {
  const csp = r.headers['content-security-policy'];
  assert.ok(csp, `${what}: a CSP`);
  for (const part of CSP_PARTS) assert.ok(csp.includes(part), `${what}: ${part} in ${csp}`);
  assert.doesNotMatch(csp, /unsafe-/, what);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(r.headers['referrer-policy'], 'no-referrer', what);
  assert.equal(r.headers['access-control-allow-origin'], undefined, what);
}

async function builtFiles() {
  const page = await rawRequest(suite.server, 'GET', '/console/');
  const html = page.body.toString('utf8');
  const script = /<script type="module" crossorigin src="(\/console\/assets\/[^"]+\.js)"/.exec(html);
  const style = /<link rel="stylesheet" crossorigin href="(\/console\/assets\/[^"]+\.css)"/.exec(html);
  assert.ok(script && style, html);
  return { html, script: script[1], style: style[1] };
}

test('the page: deep links, no-cache, ETag and 304, no inline script or style', async () => {
  const { html } = await builtFiles();
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(html, /<style|\sstyle=/, 'no inline style');
  let etag;
  for (const { path } of [...SCREENS, { path: '/console/login' }]) {
    for (const method of ['GET', 'HEAD']) {
      const r = await rawRequest(suite.server, method, path);
      assert.equal(r.status, 200, `${method} ${path}`);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', path);
      assert.equal(r.headers['cache-control'], 'no-cache', path);
      expectSecurityHeaders(r, `${method} ${path}`);
      if (method === 'GET') assert.equal(r.body.toString('utf8'), html, path);
      else {
        assert.equal(r.body.length, 0, `HEAD ${path} has no body`);
        assert.equal(r.headers['content-length'], String(Buffer.byteLength(html)), `HEAD ${path}`);
      }
      etag ??= r.headers.etag;
      assert.equal(r.headers.etag, etag, path);
    }
  }
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const again = await rawRequest(suite.server, 'GET', '/console/apps', { 'If-None-Match': `"nope", W/${etag}` });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, etag);
  assert.equal(again.headers['cache-control'], 'no-cache');
  expectSecurityHeaders(again, 'the 304 of the page');
});

test('hashed files: immutable, ETag and 304, gzip only when accepted', async () => {
  const { script, style } = await builtFiles();
  for (const [file, type] of [
    [script, 'text/javascript; charset=utf-8'],
    [style, 'text/css; charset=utf-8'],
  ]) {
    const plain = await rawRequest(suite.server, 'GET', file);
    assert.equal(plain.status, 200, file);
    assert.equal(plain.headers['content-type'], type);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'Accept-Encoding');
    assert.match(plain.headers.etag, /^"[0-9a-f]{32}"$/);
    expectSecurityHeaders(plain, file);

    const gz = await rawRequest(suite.server, 'GET', file, { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.ok(gz.body.length < plain.body.length, 'smaller');
    assert.deepEqual(zlib.gunzipSync(gz.body), plain.body, 'the same bytes');
    assert.notEqual(gz.headers.etag, plain.headers.etag, 'each encoding has its own tag');
    expectSecurityHeaders(gz, `${file} gzip`);

    for (const refusal of ['gzip;q=0', 'identity', 'br;q=1, *;q=0']) {
      const r = await rawRequest(suite.server, 'GET', file, { 'Accept-Encoding': refusal });
      assert.equal(r.headers['content-encoding'], undefined, refusal);
      assert.deepEqual(r.body, plain.body, refusal);
    }

    for (const tag of [plain.headers.etag, gz.headers.etag]) {
      const r = await rawRequest(suite.server, 'GET', file, { 'If-None-Match': tag, 'Accept-Encoding': 'gzip' });
      assert.equal(r.status, 304, tag);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
      expectSecurityHeaders(r, `the 304 of ${file}`);
    }
  }
});

test('a missing file and unknown paths under /console/ are 404 with the headers', async () => {
  for (const path of ['/console/assets/missing-00000000.js', '/console/nowhere', '/console/apps/7',
    '/console/index.html', '/console/assets/..%2findex.html']) {
    const r = await rawRequest(suite.server, 'GET', path);
    assert.equal(r.status, 404, path);
    assert.equal(r.headers['cache-control'], 'no-store', path);
    expectSecurityHeaders(r, `404 ${path}`);
  }
});

// ------------------------------------------------------------------ cross-site requests

// A page of another site: http://localhost:<port> (the server is http://127.0.0.1:<port>).
async function attackerSite(target) {
  const victim = 'csrf-victim-' + Date.now();
  const pages = {
    '/form-users': `<!doctype html><title>a</title>
      <form id="f" method="POST" action="${target}/admin/v1/Users" enctype="text/plain">
        <input name='{"userName":"${victim}","x":"' value='"}'>
      </form><script>document.getElementById('f').submit()</script>`,
    '/form-password': `<!doctype html><title>b</title>
      <form id="f" method="POST" action="${target}/console/api/password">
        <input name="currentPassword" value="${OPERATOR}"><input name="newPassword" value="hijacked-password-0123">
      </form><script>document.getElementById('f').submit()</script>`,
    '/fetch': `<!doctype html><title>c</title><script>
      window.outcome = (async () => {
        const out = [];
        for (const [headers, path] of [
          [{ 'Content-Type': 'text/plain' }, '/admin/v1/Users'],
          [{ 'Content-Type': 'application/json', 'X-Tessera-CSRF': '1' }, '/admin/v1/Users'],
          [{ 'Content-Type': 'application/json', 'X-Tessera-CSRF': '1' }, '/console/api/password'],
        ]) {
          try {
            const r = await fetch('${target}' + path, { method: 'POST', credentials: 'include', headers,
              body: JSON.stringify({ userName: '${victim}', currentPassword: '${OPERATOR}',
                                     newPassword: 'hijacked-password-0123' }) });
            out.push('read ' + r.status);
          } catch (e) { out.push('blocked'); }
        }
        return out;
      })();
    </script>`,
  };
  const site = http.createServer((req, res) => {
    const body = pages[req.url];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body || 'not here');
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  return { url: `http://localhost:${site.address().port}`, victim, close: () => site.close() };
}

test('a cross-site form post and a cross-origin fetch are refused, state unchanged', async () => {
  const page = await suite.signedInPage();
  const attacker = await attackerSite(suite.server.url);
  try {
    for (const path of ['/form-users', '/form-password']) {
      const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(suite.server.url));
      await page.goto(attacker.url + path);
      const r = await answer;
      assert.ok([401, 403].includes(r.status()), `${path}: ${r.status()}`);
    }
    await page.goto(`${attacker.url}/fetch`);
    const outcome = await page.evaluate(() => window.outcome);
    // The simple request reaches the server (and is refused there) but its answer is not for
    // this page; the ones with the CSRF header need a preflight, which the server never grants.
    assert.deepEqual(outcome, ['blocked', 'blocked', 'blocked']);
  } finally {
    attacker.close();
  }
  // Nothing changed: no such user, and the operator's password is the old one.
  const users = await adminApi(suite.server, 'GET', '/admin/v1/Users');
  assert.equal(users.status, 200);
  assert.ok(!(users.body.Resources || []).some((u) => u.userName === attacker.victim), 'no user was made');
  const signin = await fetch(`${suite.server.url}/console/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: OPERATOR_USER, password: OPERATOR }),
  });
  assert.equal(signin.status, 200, 'the password is unchanged');
  // The session in the browser still works (it was never used by the other site).
  await page.goto(`${suite.server.url}/console/`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.context().close();
});

// ------------------------------------------------------------------ the walk

for (const { width, suffix } of WIDTHS) {
  test(`every screen at ${width} px: no CSP violation, no console error, axe clean, no web storage`, async () => {
    const page = await newPage(suite.browser, suite.server, { width });
    await page.goto(`${suite.server.url}/console/login`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await runAxe(page);
    await screenshot(page, `login${suffix}`);
    await signIn(page, suite.server);
    for (const screen of SCREENS) {
      await page.goto(`${suite.server.url}${screen.path}`);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.locator('h1').first().waitFor();
      assert.equal(await page.locator('h1').count(), 1, `one h1 on ${screen.path}`);
      await page.waitForLoadState('networkidle');
      const nav = page.getByRole('navigation', { name: 'Console' });
      if (width < 768) {
        // The navigation folds behind a button that says whether it is open.
        const toggle = page.getByRole('button', { name: 'Menu' });
        assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
        assert.equal(await nav.isVisible(), false);
        await toggle.click();
        assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
        await nav.waitFor();
      }
      const current = nav.getByRole('link', { name: screen.label, exact: true });
      assert.equal(await current.getAttribute('aria-current'), 'page', screen.path);
      await runAxe(page);
      await screenshot(page, `walk-${screen.name}${suffix}`);
      // Nothing scrolls sideways at this width.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${screen.path} is ${overflow} px wider than the window`);
    }
    // Through the navigation too, without reloading.
    let at = SCREENS[SCREENS.length - 1].path;
    for (const screen of [...SCREENS].reverse()) {
      if (width < 768) {
        const toggle = page.getByRole('button', { name: 'Menu' });
        if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
      }
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: screen.label, exact: true }).click();
      await page.waitForURL(`${suite.server.url}${screen.path}`);
      // A new screen closes the menu (the link to the current one changes nothing), in a render
      // after the URL has changed: wait for it, so that the next round does not read the menu
      // as open just before it closes.
      if (width < 768 && screen.path !== at) {
        await page.getByRole('button', { name: 'Menu', expanded: false }).waitFor();
      }
      at = screen.path;
    }
    const storage = await page.evaluate(async () => ({
      local: localStorage.length,
      session: sessionStorage.length,
      indexedDB: (await indexedDB.databases()).length,
      cookies: document.cookie,
    }));
    assert.deepEqual(storage, { local: 0, session: 0, indexedDB: 0, cookies: '' });
    const cookies = await page.context().cookies();
    assert.deepEqual(cookies.map((c) => c.name), [SESSION_COOKIE], 'no other cookie');
    expectNoProblems(page);
    await page.context().close();
  });
}

// ------------------------------------------------------------------ keyboard alone

async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      tag: el?.tagName.toLowerCase(),
      text: (el?.textContent || '').trim(),
      label: el?.getAttribute('aria-label') || el?.labels?.[0]?.textContent || '',
      outline: el ? getComputedStyle(el).outlineStyle : '',
    };
  });
}

// Presses `key` (Tab, or Shift+Tab to go backwards) until the focused element's text is `text`.
async function tabTo(page, text, key = 'Tab', max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    if (f.text === text) return f;
  }
  assert.fail(`${key} never reached "${text}"`);
}

test('keyboard alone: sign in, move through the navigation, sign out', async () => {
  const page = await newPage(suite.browser, suite.server);
  await page.goto(`${suite.server.url}/console/login`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  // The form starts on the user name.
  assert.equal((await focused(page)).label, 'User name');
  await page.keyboard.type(OPERATOR_USER);
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).label, 'Password');
  await page.keyboard.type(OPERATOR);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // The first Tab reaches the skip link, which leads into the main region.
  await page.keyboard.press('Tab');
  const skip = await focused(page);
  assert.equal(skip.text, 'Skip to content');
  assert.notEqual(skip.outline, 'none', 'the focus is visible');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  // The navigation comes before the main region: backwards from there to each link.
  for (const screen of SCREENS.slice(1)) {
    const f = await tabTo(page, screen.label, 'Shift+Tab');
    assert.notEqual(f.outline, 'none', `the focus on ${screen.label} is visible`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${suite.server.url}${screen.path}`);
    // The new screen takes the focus (its main region), so the next Tab starts there.
    await page.waitForFunction(() => document.activeElement?.id === 'main');
  }
  await tabTo(page, 'Sign out', 'Shift+Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console\/login$/);
  assert.equal(await sessionCookie(page), undefined);
  expectNoProblems(page);
  await page.context().close();
});
