// The Applications screen end to end, through the UI only: a resource app and its fully
// qualified scope, a confidential app whose one-time secret gets a token, activation, its
// settings, secret regeneration, DPoP and certificate binding, certificates, deactivation and
// deletion. State is checked with the admin API (bearer token) and the token endpoint, never
// through the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminApi,
  consoleSuite,
  expectNoProblems,
  runAxe,
  screenshot,
} from './harness.mjs';
import { admin, makeCertificate, tempDir } from './directory-helpers.mjs';

const AUDIENCE = 'https://orders.example.com:443';
const SCOPE_VALUE = 'urn:opc:resource:orders::read';
const FQS = AUDIENCE + SCOPE_VALUE;
const CERT_ALIAS = 'orders-client';

const suite = consoleSuite();

/** Retries `check` (an assertion) for up to 5 s: for what the page updates after an answer. */
async function eventually(check) {
  const end = Date.now() + 5000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A client_credentials token request with Basic credentials (RFC 6749 2.3.1, 4.4). */
async function tokenRequest(clientId, secret, scope) {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`);
  const r = await fetch(`${suite.server.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${basic.toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  return { status: r.status, body: await r.json() };
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

async function appByName(displayName) {
  const list = await admin(
    suite.server,
    'GET',
    `/admin/v1/Apps?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`,
  );
  assert.equal(list.Resources.length, 1, `one app named ${displayName}`);
  return list.Resources[0];
}

/** A fresh self-signed RSA certificate (PEM), the kind the Certificates screen uploads. */
function newCertificatePem() {
  const tmp = tempDir('tessera-apps-cert-');
  try {
    return makeCertificate(tmp.dir, CERT_ALIAS, { days: 30 }).pem;
  } finally {
    tmp.cleanup();
  }
}

async function webStorage(page) {
  return page.evaluate(() => {
    const dump = (s) =>
      Object.fromEntries(
        Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]),
      );
    return JSON.stringify({
      local: dump(window.localStorage),
      session: dump(window.sessionStorage),
    });
  });
}

test('applications: create, activate, use, regenerate, bind, attach, deactivate, delete', async () => {
  const page = await suite.signedInPage({ width: 1280 });
  await page.goto(`${suite.server.url}/console/apps`);
  await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();

  // A resource app: the preview shows audience + value as typed, before anything is saved.
  // By keyboard: the form opens and the focus moves to it.
  await page.getByRole('button', { name: 'New resource app' }).press('Enter');
  await page.getByRole('heading', { level: 2, name: 'New resource app' }).waitFor();
  // The focus is on the form.
  await page.waitForFunction(() => document.activeElement?.closest('.apps-main') !== null);
  await page.getByLabel('Display name').fill('Orders API');
  await page.getByLabel('Scope value 1').fill(SCOPE_VALUE);
  const preview = page.locator('#apps-fqs-preview');
  await eventually(async () => assert.equal((await preview.textContent()).trim(), SCOPE_VALUE));
  await page.getByLabel('Audience').pressSequentially('https://orders.example.com');
  await eventually(async () =>
    assert.equal((await preview.textContent()).trim(), `https://orders.example.com${SCOPE_VALUE}`),
  );
  await page.getByLabel('Audience').pressSequentially(':443');
  await eventually(async () => assert.equal((await preview.textContent()).trim(), FQS));
  await runAxe(page);
  await page.getByRole('button', { name: 'Create resource app' }).click();
  await page.getByRole('heading', { level: 2, name: 'Orders API' }).waitFor();
  const resource = await appByName('Orders API');
  assert.equal(resource.isOAuthResource, true);
  assert.equal(resource.audience, AUDIENCE);
  assert.deepEqual(
    resource.scopes.map((s) => s.fqs),
    [FQS],
    "the server's fqs is the preview's",
  );
  assert.ok(new URL(page.url()).searchParams.get('id') === resource.id, "the detail's deep link");
  // Resource apps grant scopes only while active (contract section 4).
  await page.getByRole('button', { name: 'Activate', exact: true }).click();
  await page.getByRole('button', { name: 'Deactivate', exact: true }).waitFor();
  assert.equal((await appByName('Orders API')).active, true);

  // A confidential app with client_credentials and that scope; its secret is shown once.
  await page.getByRole('button', { name: 'New confidential app' }).click();
  await page.getByLabel('Display name').fill('Orders client');
  assert.equal(await page.getByRole('checkbox', { name: /^Client credentials/ }).isChecked(), true);
  await page
    .getByRole('checkbox', { name: new RegExp(`^${FQS.replace(/[.:]/g, '\\$&')}`) })
    .check();
  await page.getByRole('button', { name: 'Create confidential app' }).click();
  await page.getByRole('heading', { name: 'Client secret of Orders client' }).waitFor();
  const clientId = await page.getByLabel('Client ID', { exact: true }).inputValue();
  const secret1 = await page.getByLabel('Client secret', { exact: true }).inputValue();
  // Copying: to the clipboard, or (where the browser refuses) the field selected for the operator.
  await page.getByRole('button', { name: 'Copy secret' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /Copied to the clipboard|the secret is selected/ })
    .waitFor();
  await runAxe(page);
  assert.match(page.url(), /\/console\/apps\?id=/);
  assert.ok(!page.url().includes(secret1), 'the secret is not in the URL');
  let client = await appByName('Orders client');
  assert.equal(client.name, clientId);
  assert.equal(client.active, false, 'new apps are inactive');
  assert.deepEqual(client.allowedGrants, ['client_credentials']);
  assert.deepEqual(client.allowedScopes, [{ fqs: FQS }]);

  // Its settings changed in the UI: what the admin API then answers.
  await page.getByRole('button', { name: 'Edit settings' }).click();
  await page.getByRole('checkbox', { name: /^Introspect any token/ }).check();
  await page.getByLabel('Access token expiry (seconds)').fill('600');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('button', { name: 'Edit settings' }).waitFor();
  client = await appByName('Orders client');
  assert.deepEqual(client.allowedOperations, ['introspect']);
  assert.equal(client.accessTokenExpiry, 600);
  assert.deepEqual(client.allowedScopes, [{ fqs: FQS }], 'the scope is kept');

  // Inactive: refused. Activated in the UI: a token for the resource's scope.
  assert.equal((await tokenRequest(clientId, secret1, FQS)).status, 401);
  await page.getByRole('button', { name: 'Activate', exact: true }).click();
  await page.getByRole('button', { name: 'Deactivate', exact: true }).waitFor();
  assert.equal((await appByName('Orders client')).active, true);
  let answer = await tokenRequest(clientId, secret1, FQS);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.token_type, 'Bearer');
  const at = claims(answer.body.access_token);
  assert.equal(at.client_id, clientId);
  assert.equal(at.sub, clientId);
  assert.equal(at.aud, AUDIENCE);
  assert.equal(at.scope, SCOPE_VALUE);
  assert.equal(answer.body.expires_in, 600, 'the lifetime set in the settings');

  // Closing the panel drops the secret: not on the page, not in web storage.
  await page.getByRole('button', { name: /^Close/ }).click();
  await page.getByLabel('Client secret', { exact: true }).waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(secret1), 'the secret is gone from the page');
  assert.ok(!(await webStorage(page)).includes(secret1), 'the secret is not in web storage');

  // Regenerate (confirmed): the old secret is refused, the new one works.
  await page.getByRole('button', { name: /^Regenerate client secret/ }).click();
  const dialog = page.getByRole('dialog', {
    name: 'Regenerate the client secret of Orders client?',
  });
  await dialog.getByRole('button', { name: 'Regenerate secret' }).click();
  await page.getByRole('heading', { name: 'Client secret of Orders client' }).waitFor();
  const secret2 = await page.getByLabel('Client secret', { exact: true }).inputValue();
  assert.notEqual(secret2, secret1);
  answer = await tokenRequest(clientId, secret1, FQS);
  assert.equal(answer.status, 401);
  assert.equal(answer.body.error, 'invalid_client');
  assert.equal((await tokenRequest(clientId, secret2, FQS)).status, 200);
  await page.getByRole('button', { name: /^Close/ }).click();
  await page.getByLabel('Client secret', { exact: true }).waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(secret2));
  assert.ok(!(await webStorage(page)).includes(secret2));

  // DPoP binding set in the UI: a token request without a proof is refused; unset, it works.
  await page.getByLabel('DPoP-bound access tokens').check();
  await page.getByLabel('tls_client_auth SAN DNS name').fill('orders.example.com');
  await page.getByRole('button', { name: 'Save sender constraints' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  client = await appByName('Orders client');
  assert.equal(client.dpopBoundAccessTokens, true);
  assert.equal(client.tlsClientCertificateBoundAccessTokens, false);
  assert.equal(client.tlsClientAuthSanDns, 'orders.example.com');
  answer = await tokenRequest(clientId, secret2, FQS);
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, 'invalid_dpop_proof');
  await page.getByLabel('DPoP-bound access tokens').uncheck();
  await page.getByLabel('tls_client_auth SAN DNS name').fill('');
  await page.getByRole('button', { name: 'Save sender constraints' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  client = await appByName('Orders client');
  assert.equal(client.dpopBoundAccessTokens, false);
  assert.equal(client.tlsClientAuthSanDns, undefined, 'an empty name clears it');
  assert.equal((await tokenRequest(clientId, secret2, FQS)).status, 200);

  // Certificate binding set in the UI: a token request without a client certificate is refused.
  await page.getByLabel('Certificate-bound access tokens (mutual TLS)').check();
  await page.getByLabel('tls_client_auth subject DN').fill('CN=orders.example.com,O=Example');
  await page.getByRole('button', { name: 'Save sender constraints' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  client = await appByName('Orders client');
  assert.equal(client.tlsClientCertificateBoundAccessTokens, true);
  assert.equal(client.tlsClientAuthSubjectDn, 'CN=orders.example.com,O=Example');
  answer = await tokenRequest(clientId, secret2, FQS);
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, 'invalid_request');
  await page.getByLabel('Certificate-bound access tokens (mutual TLS)').uncheck();
  await page.getByLabel('tls_client_auth subject DN').fill('');
  await page.getByRole('button', { name: 'Save sender constraints' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  client = await appByName('Orders client');
  assert.equal(client.tlsClientCertificateBoundAccessTokens, false);
  assert.equal(client.tlsClientAuthSubjectDn, undefined);
  assert.equal((await tokenRequest(clientId, secret2, FQS)).status, 200);

  // Attach and detach a certificate uploaded beforehand (the Certificates screen's job).
  await admin(suite.server, 'POST', '/admin/v1/OAuthClientCertificates', {
    certificateAlias: CERT_ALIAS,
    x509Base64Certificate: newCertificatePem(),
  });
  await page.reload();
  await page.getByLabel('Certificate to attach').selectOption(CERT_ALIAS);
  await page.getByRole('button', { name: 'Attach', exact: true }).click();
  await page.getByRole('button', { name: `Detach certificate ${CERT_ALIAS}` }).waitFor();
  assert.deepEqual((await appByName('Orders client')).certificates, [{ certAlias: CERT_ALIAS }]);
  // The list reloads after the change: its certificate count follows.
  const count = page
    .getByRole('row', { name: /Orders client/ })
    .getByRole('cell')
    .last();
  await eventually(async () => assert.equal((await count.textContent()).trim(), '1'));

  // Screenshots and checks of the filled screen, wide and at a phone's width (deep link).
  await runAxe(page);
  await screenshot(page, 'apps');
  const narrow = await suite.signedInPage({ width: 360 });
  await narrow.goto(`${suite.server.url}/console/apps?id=${encodeURIComponent(client.id)}`);
  await narrow.getByRole('heading', { level: 2, name: 'Orders client' }).waitFor();
  // Nothing of the screen sticks out at 360 px (the list scrolls inside its own region).
  const overflow = await narrow.evaluate(() => {
    const layout = document.querySelector('.apps-layout');
    return Math.max(
      layout.getBoundingClientRect().right - window.innerWidth,
      layout.scrollWidth - layout.clientWidth,
    );
  });
  assert.ok(overflow <= 0, `the screen fits 360 px (${overflow} px too wide)`);
  await runAxe(narrow);
  await screenshot(narrow, 'apps-narrow');
  expectNoProblems(narrow);
  await narrow.close();

  await page.getByRole('button', { name: `Detach certificate ${CERT_ALIAS}` }).click();
  await page.getByText('No certificate is attached.').waitFor();
  assert.deepEqual((await appByName('Orders client')).certificates, []);

  // Deactivated in the UI: the client can no longer get tokens.
  await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
  await page.getByRole('button', { name: 'Activate', exact: true }).waitFor();
  assert.equal((await appByName('Orders client')).active, false);
  answer = await tokenRequest(clientId, secret2, FQS);
  assert.equal(answer.status, 401);
  assert.equal(answer.body.error, 'invalid_client');

  // Deletion is confirmed by name, then the app is gone.
  await page.goto(`${suite.server.url}/console/apps?id=${encodeURIComponent(client.id)}`);
  await page.getByRole('button', { name: /^Delete app/ }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete the app Orders client?' });
  await runAxe(page);
  await page.keyboard.press('Escape');
  await confirm.waitFor({ state: 'detached' });
  assert.equal((await adminApi(suite.server, 'GET', `/admin/v1/Apps/${client.id}`)).status, 200);
  await page.getByRole('button', { name: /^Delete app/ }).click();
  await page
    .getByRole('dialog', { name: 'Delete the app Orders client?' })
    .getByRole('button', { name: 'Delete Orders client' })
    .click();
  await page.getByText('Choose an app to see and change it, or create one.').waitFor();
  const gone = await adminApi(suite.server, 'GET', `/admin/v1/Apps/${encodeURIComponent(client.id)}`);
  assert.equal(gone.status, 404);
  await page.getByRole('row', { name: /Orders client/ }).waitFor({ state: 'detached' });

  expectNoProblems(page);

  // A refused creation shows the server's detail next to the form. The 400 answer is the one
  // thing the browser reports here (Chromium logs every failed fetch to the console).
  await page.getByRole('button', { name: 'New resource app' }).click();
  await page.getByLabel('Display name').fill('Broken');
  await page.getByLabel('Audience').fill(AUDIENCE);
  await page.getByLabel('Access token expiry (seconds)').fill('5');
  await page.getByRole('button', { name: 'Create resource app' }).click();
  await page.getByRole('alert').filter({ hasText: 'from 60 to 31556952' }).waitFor();

  expectNoProblems(page, { allow: [/^console: Failed to load resource: .* status of 400 /] });
  await page.close();
});
