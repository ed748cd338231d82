// Browser tests of the web console: the real `tessera serve` of this build on 127.0.0.1, driven by
// playwright-core with Debian's chromium, headless. Node's own test runner (node:test); one CTest
// test per tests/console/*.test.mjs (tests/console/CMakeLists.txt sets the environment below).
//
// Environment (CTest sets it; the defaults fit a Release build in build/):
//   TESSERA_BIN             the tessera executable
//   TESSERA_CONSOLE_DIR     console/ (playwright-core and axe-core come from its node_modules)
//   TESSERA_TEST_ARTIFACTS  where screenshots go
//   TESSERA_CHROMIUM        the browser (default /usr/bin/chromium)
//   TESSERA_KEEP_TEST_DATA  set: the servers' data directories (and logs) are kept
//
// Example (consoleSuite starts the server and the browser before a file's tests, stops them after):
//   const suite = consoleSuite({ demo: true });
//   test('apps at 360 px', async () => {
//     const page = await suite.signedInPage({ width: 360 });
//     await page.goto(suite.server.url + '/console/apps');
//     await expectFitsWindow(page);
//     await runAxe(page);
//     await screenshot(page, 'apps-narrow');
//     expectNoProblems(page);
//     await page.close();
//   });
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

export const TESSERA = process.env.TESSERA_BIN || path.join(ROOT, 'build', 'tessera');
export const CONSOLE_DIR = process.env.TESSERA_CONSOLE_DIR || path.join(ROOT, 'console');
export const ARTIFACTS =
  process.env.TESSERA_TEST_ARTIFACTS || path.join(ROOT, 'build', 'test-artifacts', 'console');
export const CHROMIUM = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';

// playwright-core and axe-core are the console's dev dependencies (console/package-lock.json).
const requireFromConsole = createRequire(path.join(CONSOLE_DIR, 'package.json'));
const { chromium } = requireFromConsole('playwright-core');
const AXE_SOURCE = fs.readFileSync(requireFromConsole.resolve('axe-core/axe.min.js'), 'utf8');

// The bootstrap operator of every server started here, and the bootstrap administrator app.
export const OPERATOR_USER = 'admin';
export const OPERATOR = 'console-test-password-0123';
export const ADMIN_ID = 'console-test-admin';
export const ADMIN_SECRET = 'console-test-admin-secret-0123456789';
export const MYSCOPES = 'urn:opc:idm:__myscopes__';
export const SESSION_COOKIE = '__Host-tessera_session';

// The paths of the console's screens (contract section 9), in the navigation's order, with
// their navigation labels and h1.
export const SCREENS = [
  { path: '/console/', label: 'Dashboard', name: 'dashboard' },
  { path: '/console/apps', label: 'Applications', name: 'apps' },
  { path: '/console/certificates', label: 'Certificates', name: 'certificates' },
  { path: '/console/users', label: 'Users', name: 'users' },
  { path: '/console/keys', label: 'Signing keys', name: 'keys' },
  { path: '/console/issuers', label: 'Issuers', name: 'issuers' },
  { path: '/console/audit', label: 'Audit', name: 'audit' },
  { path: '/console/lab', label: 'Assertion Lab', name: 'lab' },
];

const BANNER = /tessera: listening on (\S+) \(issuer (\S+), ready in/;
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// Starts `tessera serve` on 127.0.0.1 (a free port), in a new temporary data directory (or
// opts.dataDir), with the bootstrap operator OPERATOR_USER/OPERATOR and administrator
// ADMIN_ID/ADMIN_SECRET. opts: { demo: bool, args: [..], env: {..}, dataDir }.
// Resolves to { url, origin, issuer, dataDir, env, log(), stop() }. stop() removes a data
// directory made here (kept when TESSERA_KEEP_TEST_DATA is set, to look at its server log).
export async function startServer(opts = {}) {
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-console-'));
  const env = {
    ...process.env,
    TESSERA_CONSOLE_USER: OPERATOR_USER,
    TESSERA_CONSOLE_PASSWORD: OPERATOR,
    TESSERA_ADMIN_CLIENT_ID: ADMIN_ID,
    TESSERA_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    ...(opts.env || {}),
  };
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--threads', '4'];
  if (opts.demo) args.push('--demo');
  args.push(...(opts.args || []));
  const logPath = path.join(dataDir, `server-${Date.now()}.log`);
  const log = fs.openSync(logPath, 'a');
  const child = spawn(TESSERA, args, { env, stdio: ['ignore', 'pipe', log] });
  fs.closeSync(log);
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const found = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`tessera serve did not start:\n${readLog()}`)), 30000);
    child.stdout.on('data', (chunk) => {
      fs.appendFileSync(logPath, chunk);
      if (timer === null) return;
      text += chunk.toString();
      const m = BANNER.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ base: m[1].replace(/\/$/, ''), issuer: m[2] });
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`tessera serve exited before listening:\n${readLog()}`));
    });
  });
  function readLog() {
    try {
      return fs.readFileSync(logPath, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }
  const origin = new URL(found.issuer).origin;
  return {
    // The browser must use the issuer's origin: the server checks Origin against it.
    url: origin,
    origin,
    base: found.base,
    issuer: found.issuer,
    dataDir,
    env,
    log: readLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
      running.delete(child);
      const text = readLog();
      if (ownDir && !process.env.TESSERA_KEEP_TEST_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
      assert.ok(!text.includes('WARNING: ThreadSanitizer:'), `the server reported a data race:\n${text}`);
    },
  };
}

// Debian's chromium, headless. --no-sandbox only as root (chromium refuses to start sandboxed
// as root); otherwise the sandbox stays on.
export async function launchBrowser() {
  const args = [];
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

// A page in a fresh context (no cookies, no storage) `width` pixels wide (default 1280), recording
// into page.problems every CSP violation (the securitypolicyviolation event and the console's
// "Refused to ..." message), console error and uncaught page error, as
// { kind: 'csp'|'console'|'pageerror', text, url }.
export async function newPage(browser, server, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: server.url });
  const page = await context.newPage();
  page.problems = [];
  await page.exposeBinding('__tesseraReportViolation', (_source, v) => {
    page.problems.push({ kind: 'csp', text: `${v.directive} blocked ${v.blocked}`, url: v.url });
  });
  // Added through the DevTools protocol, so it runs in every document whatever the CSP says.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__tesseraReportViolation({
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        url: e.documentURI,
      });
    });
  });
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.includes('Refused to') || text.includes('Content Security Policy')) {
      page.problems.push({ kind: 'csp', text, url: msg.location().url });
    } else if (msg.type() === 'error') {
      page.problems.push({ kind: 'console', text, url: msg.location().url });
    }
  });
  page.on('pageerror', (err) => page.problems.push({ kind: 'pageerror', text: String(err), url: page.url() }));
  return page;
}

// Signs in through the real form and waits for the console's header. opts: { user, password }.
export async function signIn(page, server, { user = OPERATOR_USER, password = OPERATOR } = {}) {
  await page.goto(`${server.url}/console/login`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

// The fixture of a test file: registers a `before` hook that starts a server (startServer(opts))
// and the browser, then runs setUp(suite) when given, and an `after` hook that closes both.
// Returns { server, browser, signedInPage(pageOpts) }: server and browser are set once that hook
// has run, so tests read them as suite.server and suite.browser; signedInPage is newPage then
// signIn. Setup that needs the server goes in setUp: a file's own top-level `before` hooks are
// not ordered after this one (Node 20 starts them together).
export function consoleSuite(opts = {}, setUp = undefined) {
  const suite = {
    server: undefined,
    browser: undefined,
    async signedInPage(pageOpts = {}) {
      const page = await newPage(suite.browser, suite.server, pageOpts);
      await signIn(page, suite.server);
      return page;
    },
  };
  before(async () => {
    suite.server = await startServer(opts);
    suite.browser = await launchBrowser();
    if (setUp) await setUp(suite);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.stop();
  });
  return suite;
}

// Fails when the document is wider than the window: no sideways scrolling on a phone.
export async function expectFitsWindow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
}

// Fails with the list of what newPage recorded, except problems matching one of `allow`
// (regular expressions over "kind: text url"), which a test expects (e.g. the 401 of a wrong
// password).
export function expectNoProblems(page, { allow = [] } = {}) {
  const left = page.problems.filter((p) => !allow.some((re) => re.test(`${p.kind}: ${p.text} ${p.url}`)));
  assert.deepEqual(left, [], `problems on ${page.url()}:\n${left.map((p) => `${p.kind}: ${p.text} (${p.url})`).join('\n')}`);
}

// axe-core over the current document, evaluated through the DevTools protocol (so the page's
// CSP is untouched: nothing is injected into the document). Fails on any serious or critical
// finding; resolves to every violation found.
export async function runAxe(page, { exclude = [] } = {}) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const expression = `${AXE_SOURCE};
      axe.run({ exclude: ${JSON.stringify(exclude.map((s) => [s]))} },
              { resultTypes: ['violations'] })
         .then((r) => JSON.stringify(r.violations))`;
    const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    assert.ok(!exceptionDetails, `axe failed: ${JSON.stringify(exceptionDetails)}`);
    const violations = JSON.parse(result.value);
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      [],
      `axe findings on ${page.url()}`,
    );
    return violations;
  } finally {
    await cdp.detach();
  }
}

// A full-page PNG named `name`.png in ARTIFACTS; resolves to its path.
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// A bearer token of the bootstrap administrator (client credentials, the admin scope).
export async function adminToken(server) {
  if (server.adminToken) return server.adminToken;
  const r = await fetch(`${server.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: MYSCOPES }).toString(),
  });
  const body = await r.json();
  assert.equal(r.status, 200, `admin token: ${JSON.stringify(body)}`);
  server.adminToken = body.access_token;
  return server.adminToken;
}

// The admin API with the administrator's bearer token: { status, headers, body } (body parsed
// as JSON when it is JSON).
export async function adminApi(server, method, apiPath, body) {
  const headers = { Authorization: `Bearer ${await adminToken(server)}`, Accept: 'application/json' };
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/scim+json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const r = await fetch(`${server.url}${apiPath}`, init);
  const text = await r.text();
  let parsed = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: r.status, headers: r.headers, body: parsed };
}

// Runs this build's CLI: { status, stdout, stderr }.
export function tessera(args, { env = {}, input } = {}) {
  const r = spawnSync(TESSERA, args, { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A plain HTTP request from Node (no browser): { status, headers, body } with the raw body bytes
// (a Buffer), for headers, ETags and encodings.
export async function rawRequest(server, method, reqPath, headers = {}) {
  const http = await import('node:http');
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path: reqPath, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
