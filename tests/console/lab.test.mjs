// The Assertion Lab (/console/lab) in a real browser against the real server: the failure matrix
// (each case failing exactly its rule), a passing assertion still usable after the check,
// generate mode (a WebCrypto key that cannot be exported, a certificate whose thumbprint openssl
// agrees with, an assertion that passes and then buys a token, nothing in web storage), the
// #rule-<n> anchors the Audit screen links to, and no CSP violation, console error or serious
// accessibility finding on the way.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createHash, sign as cryptoSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  consoleSuite,
  expectNoProblems,
  runAxe,
  screenshot,
  tessera,
} from './harness.mjs';
import { admin } from './directory-helpers.mjs';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const AUDIENCE = 'https://lab-resource.example.com:443';
const SCOPE = `${AUDIENCE}urn:opc:resource:consumer::all`;

const suite = consoleSuite({}, setUpDomain);
let work;
const domain = {};

const b64url = (buf) => Buffer.from(buf).toString('base64url');


// This build's CLI: its standard output (it must succeed).
function cli(args) {
  const r = tessera(args);
  assert.equal(r.status, 0, `tessera ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function decodeClaims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

// A user assertion from this build's `tessera assert`, signed with the lab key (kid = alias).
function assertion({ clientId = domain.good.name, sub = domain.user, kid = domain.alias, extra = [] } = {}) {
  return cli(['assert', '--client-id', clientId, '--sub', sub, '--key', domain.keyFile, '--kid', kid, ...extra]).trim();
}

// The same assertion re-signed with other claims (RS256, the lab key): `tessera assert` makes
// only assertions valid from now on, so an expired one is re-dated here.
function resigned(jwt, changes) {
  const [header] = jwt.split('.');
  const claims = { ...decodeClaims(jwt), ...changes };
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  const signature = cryptoSign('sha256', Buffer.from(input), createPrivateKey(readFileSync(domain.keyFile)));
  return `${input}.${b64url(signature)}`;
}

async function token(app, jwt) {
  const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion: jwt, scope: SCOPE });
  const basic = Buffer.from(`${encodeURIComponent(app.name)}:${encodeURIComponent(app.clientSecret)}`).toString('base64');
  const r = await fetch(`${suite.server.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: r.status, body: await r.json() };
}

async function createApp(displayName, grants, activate) {
  const app = await admin(suite.server, 'POST', '/admin/v1/Apps', {
    displayName,
    isOAuthClient: true,
    clientType: 'confidential',
    allowedGrants: grants,
    allowedScopes: [{ fqs: SCOPE }],
    certificates: [{ certAlias: domain.alias }],
  });
  if (activate) await admin(suite.server, 'PUT', `/admin/v1/AppStatusChanger/${app.id}`, { active: true });
  return app;
}

// The domain the tests use, made once the server is up: a certificate and key made by the CLI,
// a resource, apps with and without the jwt-bearer grant, an active and an inactive user.
async function setUpDomain() {
  work = mkdtempSync(join(tmpdir(), 'tessera-lab-'));
  domain.alias = 'lab-cli';
  cli(['keys', 'generate', '--alias', domain.alias, '--out-dir', work]);
  domain.keyFile = join(work, `${domain.alias}.key.pem`);
  await admin(suite.server, 'POST', '/admin/v1/OAuthClientCertificates', {
    certificateAlias: domain.alias,
    x509Base64Certificate: readFileSync(join(work, `${domain.alias}.cer`)).toString('base64'),
  });
  const resource = await admin(suite.server, 'POST', '/admin/v1/Apps', {
    displayName: 'Lab resource',
    isOAuthResource: true,
    audience: AUDIENCE,
    scopes: [{ value: 'urn:opc:resource:consumer::all' }],
  });
  await admin(suite.server, 'PUT', `/admin/v1/AppStatusChanger/${resource.id}`, { active: true });
  domain.good = await createApp('Lab batch job', ['client_credentials', JWT_BEARER], true);
  domain.noGrant = await createApp('Lab without jwt-bearer', ['client_credentials'], true);
  domain.inactive = await createApp('Lab inactive app', ['client_credentials', JWT_BEARER], false);
  domain.user = 'lab.user';
  domain.inactiveUser = 'lab.inactive';
  await admin(suite.server, 'POST', '/admin/v1/Users', { userName: domain.user, active: true });
  await admin(suite.server, 'POST', '/admin/v1/Users', { userName: domain.inactiveUser, active: false });
}

after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function openLab(width = 1280) {
  const page = await suite.signedInPage({ width });
  await page.goto(`${suite.server.url}/console/lab`);
  await page.getByRole('heading', { level: 1, name: 'Assertion Lab' }).waitFor();
  return page;
}

// Checks `jwt` for `clientId` through the Lab's form and answers the rules as shown.
async function checkInLab(page, jwt, clientId, scope = '') {
  await page.getByLabel('Assertion', { exact: true }).fill(jwt);
  await page.getByLabel('Client ID', { exact: true }).fill(clientId);
  await page.getByLabel('Scope', { exact: true }).fill(scope);
  const previous = await page.evaluate(() => document.getElementById('lab-result')?.dataset.check ?? '0');
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await waitForCheck(page, previous);
  return readRules(page);
}

// Waits for the answer of a check newer than the one numbered `previous`.
async function waitForCheck(page, previous, timeout = 30000) {
  await page.waitForFunction(
    (n) => {
      const result = document.getElementById('lab-result');
      return result !== null && result.dataset.check !== n;
    },
    previous,
    { timeout },
  );
}

async function readRules(page) {
  return page.locator('li.lab-rule').evaluateAll((items) =>
    items.map((li) => ({
      rule: Number(li.dataset.rule),
      name: li.dataset.name,
      result: li.dataset.result,
      text: li.textContent,
    })),
  );
}

const failed = (rules) => rules.filter((r) => r.result === 'fail').map((r) => `${r.rule} ${r.name}`);

test('the failure matrix: each assertion fails exactly its rule, the others pass', async () => {
  const page = await openLab();
  const replayed = assertion();
  assert.equal((await token(domain.good, replayed)).status, 200, 'the assertion to replay is used once first');
  const now = Math.floor(Date.now() / 1000);
  const noneHeader = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
  const cases = [
    { what: 'wrong aud', jwt: assertion({ extra: ['--aud', 'https://wrong.example.com/'] }), fail: ['5 audience'] },
    { what: 'expired', jwt: resigned(assertion(), { iat: now - 7200, exp: now - 3600 }), fail: ['6 time'] },
    { what: 'unknown kid', jwt: assertion({ kid: 'no-such-alias' }), fail: ['3 key'] },
    { what: 'inactive user', jwt: assertion({ sub: domain.inactiveUser }), fail: ['8 user'] },
    {
      what: 'missing grant',
      jwt: assertion({ clientId: domain.noGrant.name }),
      client: domain.noGrant.name,
      fail: ['0 grant'],
    },
    {
      what: 'inactive app',
      jwt: assertion({ clientId: domain.inactive.name }),
      client: domain.inactive.name,
      fail: ['0 client active'],
    },
    { what: 'replayed jti', jwt: replayed, fail: ['7 jti unused'] },
    {
      what: 'alg none',
      jwt: `${noneHeader}.${assertion().split('.')[1]}.`,
      fail: ['2 header'],
    },
  ];
  for (const c of cases) {
    const rules = await checkInLab(page, c.jwt, c.client ?? domain.good.name, SCOPE);
    assert.deepEqual(failed(rules), c.fail, `${c.what}: ${JSON.stringify(rules)}`);
    assert.ok(rules.every((r) => r.result === 'pass' || r.result === 'fail'), `${c.what}: every rule judged`);
    // Failed rules say so in words, with the fix.
    for (const r of rules.filter((x) => x.result === 'fail')) {
      assert.match(r.text, /Fail/, c.what);
      assert.match(r.text, /Fix/, c.what);
    }
    assert.match(await page.locator('#lab-verdict').textContent(), /^Failed: 1 rule fails/, c.what);
    if (c.what === 'alg none') {
      // Only the rules up to the refused header are judged.
      assert.deepEqual(
        rules.map((r) => r.rule),
        [0, 0, 0, 1, 2, 9],
        'alg none stops at the header',
      );
    } else {
      assert.ok(rules.some((r) => r.rule === 8) && rules.some((r) => r.rule === 9), `${c.what}: all rules shown`);
    }
  }
  // The page shows the decoded header and claims, times as dates, and that nothing is consumed.
  const expired = resigned(assertion(), { iat: now - 7200, exp: now - 3600 });
  await checkInLab(page, expired, domain.good.name, SCOPE);
  assert.match(await page.locator('#lab-header').textContent(), /"alg": "RS256"/);
  assert.match(await page.locator('#lab-claims').textContent(), new RegExp(`"sub": "${domain.user}"`));
  const times = await page.locator('#lab-times').textContent();
  assert.ok(times.includes(new Date((now - 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ')), times);
  assert.match(await page.locator('main').textContent(), /Nothing is consumed/);
  await expectNoProblems(page);
  await runAxe(page);
  await screenshot(page, 'lab');
  await page.setViewportSize({ width: 360, height: 800 });
  // No sideways scrolling of the page at 360 px: nothing sticks out on the right.
  const wide = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth + 0.5;
    const name = (el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`;
    const out = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > limit)
      .map((el) => `${name(el)} (${Math.round(el.getBoundingClientRect().right)} px)`);
    // Text running out of its box (a long word that does not wrap).
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const right = range.getBoundingClientRect().right;
      if (right > limit) out.push(`text in ${name(node.parentElement)} (${Math.round(right)} px): ${node.textContent.slice(0, 40)}`);
    }
    return out;
  });
  assert.deepEqual(wide, [], 'elements wider than 360 px');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  await screenshot(page, 'lab-narrow');
  await runAxe(page);
  await expectNoProblems(page);
  await page.close();
});

test('a passing assertion checked in the Lab is still usable at the token endpoint', async () => {
  const page = await openLab();
  const jwt = assertion();
  const rules = await checkInLab(page, jwt, domain.good.name, SCOPE);
  assert.deepEqual(failed(rules), []);
  assert.ok(rules.some((r) => r.name === 'jti unused' && r.result === 'pass'), JSON.stringify(rules));
  assert.match(await page.locator('#lab-verdict').textContent(), /^Passed/);
  const answer = await token(domain.good, jwt);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.token_type, 'Bearer');
  // And now, used once, the same check fails rule 7 only.
  assert.deepEqual(failed(await checkInLab(page, jwt, domain.good.name, SCOPE)), ['7 jti unused']);
  await expectNoProblems(page);
  await page.close();
});

for (const keyType of ['RS256', 'ES256']) {
  test(`generate mode (${keyType}): non-extractable key, certificate openssl agrees with, a passing assertion that buys a token`, async () => {
    const page = await openLab();
    const alias = `lab-gen-${keyType.toLowerCase()}`;
    await page.locator('#lab-gen-app option', { hasText: 'Lab batch job' }).waitFor({ state: 'attached' });
    await page.getByLabel('Application', { exact: true }).selectOption(domain.good.id);
    await page.getByLabel('User', { exact: true }).selectOption(domain.user);
    await page.getByLabel('Certificate alias', { exact: true }).fill(alias);
    await page.getByLabel('Key type', { exact: true }).selectOption(keyType);
    await page.getByLabel('Scope', { exact: true }).fill(SCOPE);
    await page.getByRole('button', { name: 'Generate and sign' }).click();
    await waitForCheck(page, '0');
    const rules = await readRules(page);
    assert.deepEqual(failed(rules), [], JSON.stringify(rules));
    assert.match(await page.locator('#lab-verdict').textContent(), /^Passed/);
    assert.equal(await page.locator('#lab-key-extractable').textContent(), 'no');
    const steps = await page.locator('#lab-steps').textContent();
    assert.match(steps, /Uploaded only the self-signed certificate/);
    assert.match(steps, /Attached certificate/);

    // The certificate as the server stored it: its x5t#S256 is openssl's SHA-256 fingerprint.
    const list = await admin(suite.server, 'GET', '/admin/v1/OAuthClientCertificates');
    const stored = list.Resources.find((c) => c.certificateAlias === alias);
    assert.ok(stored, `certificate ${alias} stored`);
    const der = Buffer.from(stored.x509Base64Certificate, 'base64');
    const derFile = join(work, `${alias}.der`);
    writeFileSync(derFile, der);
    const fingerprint = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', derFile, '-noout', '-fingerprint', '-sha256'])
      .toString()
      .trim()
      .split('=')[1]
      .replace(/:/g, '')
      .toLowerCase();
    assert.equal(Buffer.from(stored['x5t#S256'], 'base64url').toString('hex'), fingerprint);
    assert.equal(createHash('sha256').update(der).digest('hex'), fingerprint);
    const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', derFile, '-noout', '-subject', '-issuer']).toString();
    assert.match(text, new RegExp(`subject=CN ?= ?${alias}`));
    assert.match(text, new RegExp(`issuer=CN ?= ?${alias}`));
    // Self-signed for real: its signature verifies with its own public key.
    const pemFile = join(work, `${alias}.pem`);
    const lines = stored.x509Base64Certificate.match(/.{1,64}/g).join('\n');
    writeFileSync(pemFile, `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`);
    execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', pemFile, pemFile]);

    // The app trusts it now; the assertion put in the form passes, then buys a token.
    const app = await admin(suite.server, 'GET', `/admin/v1/Apps/${domain.good.id}`);
    assert.ok(app.certificates.some((c) => c.certAlias === alias), JSON.stringify(app.certificates));
    const jwt = await page.getByLabel('Assertion', { exact: true }).inputValue();
    const header = JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
    assert.deepEqual(header, { alg: keyType, typ: 'JWT', kid: alias });
    const claims = decodeClaims(jwt);
    assert.equal(claims.iss, domain.good.name);
    assert.equal(claims.sub, domain.user);
    assert.equal(claims.exp - claims.iat, 300);
    const answer = await token({ ...domain.good }, jwt);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));

    // Nothing kept in the browser's storage, and the private key cannot leave WebCrypto.
    const storage = await page.evaluate(async () => ({
      local: localStorage.length,
      session: sessionStorage.length,
      databases: (await indexedDB.databases()).length,
      cookies: document.cookie,
    }));
    assert.deepEqual(storage, { local: 0, session: 0, databases: 0, cookies: '' });
    await expectNoProblems(page);
    await runAxe(page);
    if (keyType === 'RS256') await screenshot(page, 'lab-generate');
    await page.close();
  });
}

test('the audit link target /console/lab#rule-<n> scrolls to and focuses that rule', async () => {
  const page = await suite.signedInPage({ width: 1280 });
  for (const n of [5, 0, 7]) {
    await page.goto(`${suite.server.url}/console/lab#rule-${n}`);
    await page.waitForFunction((id) => document.activeElement?.id === id, `rule-${n}`);
    assert.match(await page.locator(`#rule-${n} h3`).textContent(), new RegExp(`^Rule ${n}: `));
    const inView = await page.locator(`#rule-${n}`).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.top < window.innerHeight;
    });
    assert.ok(inView, `rule ${n} scrolled into view`);
  }
  // Followed inside the console (the router's navigation, as the Audit screen's links are), from
  // another screen: the rule gets the focus, not the main region the layout focuses.
  await page.goto(`${suite.server.url}/console/`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.evaluate(() => {
    window.history.pushState(null, '', '/console/lab#rule-6');
    window.dispatchEvent(new PopStateEvent('popstate'));
  });
  await page.waitForFunction(() => document.activeElement?.id === 'rule-6');
  // Every rule number a check answers with has its anchor.
  for (let n = 0; n <= 12; n++) assert.equal(await page.locator(`#rule-${n}`).count(), 1, `#rule-${n}`);
  // A rule's link in a check result moves there too.
  await page.goto(`${suite.server.url}/console/lab`);
  await checkInLab(page, assertion({ extra: ['--aud', 'https://wrong.example.com/'] }), domain.good.name);
  await page.locator('li.lab-rule[data-result="fail"] a').click();
  await page.waitForFunction(() => document.activeElement?.id === 'rule-5');
  await expectNoProblems(page);
  await page.close();
});

test('by keyboard alone: the form, the check and a rule link', async () => {
  const page = await openLab(360);
  const jwt = assertion({ extra: ['--aud', 'https://wrong.example.com/'] });
  await page.getByLabel('Assertion', { exact: true }).focus();
  await page.keyboard.insertText(jwt);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'lab-client-id');
  await page.keyboard.insertText(domain.good.name);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'lab-scope');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Check');
  await page.keyboard.press('Enter');
  await waitForCheck(page, '0');
  assert.deepEqual(failed(await readRules(page)), ['5 audience']);
  // The failed rule's link, reached by Tab, takes the focus to the rule's description.
  const link = page.locator('li.lab-rule[data-result="fail"] a');
  for (let i = 0; i < 40 && !(await link.evaluate((a) => a === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'rule-5');
  // The generate form's controls are reachable in order too.
  await page.getByLabel('Application', { exact: true }).focus();
  const order = [];
  for (let i = 0; i < 5; i++) {
    order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent));
    await page.keyboard.press('Tab');
  }
  assert.deepEqual(order, ['lab-gen-app', 'lab-gen-user', 'lab-gen-alias', 'lab-gen-type', 'Generate and sign']);
  await expectNoProblems(page);
  await page.close();
});
