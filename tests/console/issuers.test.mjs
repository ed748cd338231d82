// The Issuers screen: an HS256 and an RS256 trust-token issuer added (a trust token signed with
// the shared secret then validates at tokeninfo), and an outside-issuer trust whose JWKS is
// served on 127.0.0.1: created, listed with its warnings, deactivated, deleted; no CSP violation,
// no console error, axe clean.
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import {
  consoleSuite,
  expectFitsWindow,
  expectNoProblems,
  runAxe,
  screenshot,
} from './harness.mjs';
import { admin, makeCertificate, tempDir, unique, waitFor } from './directory-helpers.mjs';

const suite = consoleSuite();
let tmp;
let jwksServer;
let jwksUrl;

before(async () => {
  tmp = tempDir('tessera-console-issuers-');
  // The outside issuer's JWK Set, on loopback (the one place a plain http:// key URL is allowed).
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = JSON.stringify({
    keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'outside-1', use: 'sig', alg: 'ES256' }],
  });
  jwksServer = createServer((req, res) => {
    res.writeHead(req.url === '/jwks' ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(req.url === '/jwks' ? jwks : '{}');
  });
  await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${jwksServer.address().port}/jwks`;
});

after(async () => {
  await new Promise((resolve) => (jwksServer ? jwksServer.close(resolve) : resolve()));
  tmp?.cleanup();
});

// A trust token as an outside issuer mints it: HS256 (RFC 7515) over iss, prn/sub, iat, exp.
const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function hs256(secret, claims) {
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

// The same signed with an RSA private key (RS256, RFC 7518 section 3.3).
function rs256(keyPath, claims) {
  const input = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  const key = createPrivateKey(readFileSync(keyPath));
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

test('trust-token issuers: HS256 and RS256, a trust token validates at tokeninfo', async () => {
  const hmacIssuer = `https://${unique('hmac')}.example.com`;
  const rsaIssuer = `https://${unique('rsa')}.example.com`;
  const secret = 'a-shared-secret-of-well-over-32-bytes-0123456789';
  const cert = makeCertificate(tmp.dir, 'issuer');
  const page = await suite.signedInPage({ width: 1280 });
  await page.goto(`${suite.server.url}/console/issuers`);
  await page.getByRole('heading', { level: 1, name: 'Issuers' }).waitFor();

  const form = page.getByRole('form', { name: 'Add a trust-token issuer' });
  await form.getByLabel('Issuer').fill(hmacIssuer);
  await form.getByLabel('Shared secret (HS256)').check();
  await form.getByLabel('Shared secret', { exact: true }).fill(secret);
  assert.equal(await form.getByLabel('Shared secret', { exact: true }).getAttribute('type'), 'password');
  await form.getByRole('button', { name: 'Add issuer' }).click();
  const hmacRow = page.getByRole('row', { name: new RegExp(`^${hmacIssuer.replaceAll('.', '\\.')} HS256`) });
  await hmacRow.waitFor();
  // The secret is not kept in the page once sent, and never listed.
  assert.equal(await form.getByLabel('Shared secret', { exact: true }).inputValue(), '');
  assert.ok(!(await page.content()).includes(secret));

  await form.getByLabel('Issuer').fill(rsaIssuer);
  await form.getByLabel('Certificate (RS256)').check();
  await form.getByLabel('Certificate alias').fill(unique('issuer-cert'));
  await form.getByLabel('Certificate (PEM)').fill(cert.pem);
  await form.getByRole('button', { name: 'Add issuer' }).click();
  await page.getByRole('row', { name: new RegExp(`^${rsaIssuer.replaceAll('.', '\\.')} RS256`) }).waitFor();

  const listed = await admin(suite.server, 'GET', '/admin/v1/TrustTokenIssuers');
  const byIssuer = Object.fromEntries(listed.Resources.map((i) => [i.issuer, i.algorithm]));
  assert.equal(byIssuer[hmacIssuer], 'HS256');
  assert.equal(byIssuer[rsaIssuer], 'RS256');

  // A trust token signed with the shared secret validates at tokeninfo (its principal a user
  // of this domain).
  const user = await admin(suite.server, 'POST', '/admin/v1/Users', {
    userName: unique('principal'),
    active: true,
  });
  const now = Math.floor(Date.now() / 1000);
  const token = hs256(secret, {
    iss: hmacIssuer,
    prn: user.userName,
    sub: user.userName,
    iat: now,
    exp: now + 300,
  });
  const info = await fetch(`${suite.server.url}/oauth2/v1/tokeninfo?id_token=${token}`);
  assert.equal(info.status, 200, await info.clone().text());
  assert.equal((await info.json()).iss, hmacIssuer);
  const forged = hs256('another-secret-of-well-over-32-bytes-0123456789', {
    iss: hmacIssuer,
    sub: user.userName,
    iat: now,
    exp: now + 300,
  });
  assert.equal((await fetch(`${suite.server.url}/oauth2/v1/tokeninfo?id_token=${forged}`)).status, 400);
  // And one signed with the key of the RS256 issuer's certificate.
  const signed = rs256(cert.keyPath, { iss: rsaIssuer, sub: user.userName, iat: now, exp: now + 300 });
  const rsInfo = await fetch(`${suite.server.url}/oauth2/v1/tokeninfo?id_token=${signed}`);
  assert.equal(rsInfo.status, 200, await rsInfo.clone().text());
  assert.equal((await rsInfo.json()).iss, rsaIssuer);

  await runAxe(page);

  // Delete the RS256 one: asks first.
  await page.getByRole('button', { name: `Delete issuer ${rsaIssuer}` }).click();
  await page.getByRole('button', { name: 'Delete issuer', exact: true }).click();
  await waitFor(async () => {
    const l = await admin(suite.server, 'GET', '/admin/v1/TrustTokenIssuers');
    return !l.Resources.some((i) => i.issuer === rsaIssuer);
  }, 'the RS256 issuer deleted');

  expectNoProblems(page);
  await page.close();
});

test('outside-issuer trusts: create with a loopback JWKS, warnings, deactivate, delete', async () => {
  const app = await admin(suite.server, 'POST', '/admin/v1/Apps', {
    displayName: unique('Deployer'),
    isOAuthClient: true,
    clientType: 'confidential',
    allowedGrants: ['urn:ietf:params:oauth:grant-type:token-exchange'],
  });
  const name = unique('ci');
  const issuer = `https://${name}.ci.example.com`;
  const page = await suite.signedInPage({ width: 1280 });
  await page.goto(`${suite.server.url}/console/issuers`);
  await page.getByRole('heading', { level: 1, name: 'Issuers' }).waitFor();

  const form = page.getByRole('form', { name: 'Add an outside-issuer trust' });
  // A fault the server finds is shown next to the form (the SCIM detail names the field).
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Issuer', { exact: true }).fill(issuer);
  await form.getByLabel('From a JWKS URL').check();
  await form.getByLabel('JWKS URL', { exact: true }).fill('http://idp.example.com/jwks');
  await form.getByLabel('Accepted audiences').fill('https://tessera.test');
  await form.getByLabel('Apps that may present its tokens').fill(app.name);
  await form.getByRole('button', { name: 'Add trust' }).click();
  await form.getByText(/publicKeyEndpoint/).waitFor();

  await form.getByLabel('JWKS URL', { exact: true }).fill(jwksUrl);
  await form.getByLabel('Active (accept its tokens once saved)').check();
  await form.getByText('More options').click();
  await form.getByLabel('Conditions').fill('repository in acme/deploy, acme/api\nref like refs/heads/*');
  await form.getByLabel('Replay policy (jti)').selectOption('reuse-until-exp');
  await form.getByRole('button', { name: 'Add trust' }).click();
  const row = page.getByRole('row', { name: new RegExp(`^${name} `) });
  await row.waitFor();
  // The server's warnings for the saved trust (jti reuse) are shown.
  await page.locator('.warnings').getByText(/reuse/i).first().waitFor();

  const stored = (
    await admin(
      suite.server,
      'GET',
      `/admin/v1/IdentityPropagationTrusts?filter=${encodeURIComponent(`issuer eq "${issuer}"`)}`,
    )
  ).Resources[0];
  assert.equal(stored.name, name);
  assert.equal(stored.publicKeyEndpoint, jwksUrl);
  assert.deepEqual(stored.audiences, ['https://tessera.test']);
  assert.deepEqual(stored.oauthClients, [app.name]);
  assert.deepEqual(stored.conditions, [
    { claim: 'repository', in: ['acme/deploy', 'acme/api'] },
    { claim: 'ref', like: 'refs/heads/*' },
  ]);
  assert.equal(stored.jti, 'reuse-until-exp');
  assert.equal(stored.active, true);
  assert.match(await row.textContent(), new RegExp(`${issuer.replaceAll('.', '\\.')}.*JWT · User.*active`));

  await runAxe(page);
  await screenshot(page, 'issuers');

  await page.getByRole('button', { name: `Deactivate trust ${name}`, exact: true }).click();
  await page.getByRole('button', { name: `Activate trust ${name}`, exact: true }).waitFor();
  const inactive = await admin(suite.server, 'GET', `/admin/v1/IdentityPropagationTrusts/${stored.id}`);
  assert.equal(inactive.active, false);

  await page.getByRole('button', { name: `Delete trust ${name}` }).click();
  await page.getByRole('button', { name: 'Delete trust', exact: true }).click();
  await row.waitFor({ state: 'detached' });
  const left = await admin(suite.server, 'GET', '/admin/v1/IdentityPropagationTrusts');
  assert.ok(!left.Resources.some((t) => t.id === stored.id));

  // The browser logs the refused trust itself; nothing else may be logged.
  expectNoProblems(page, {
    allow: [/^console: Failed to load resource: .* 400 .*\/admin\/v1\/IdentityPropagationTrusts$/],
  });
  await page.close();
});

test('issuers at 360 px', async () => {
  const page = await suite.signedInPage({ width: 360 });
  await page.goto(`${suite.server.url}/console/issuers`);
  await page.getByRole('heading', { level: 1, name: 'Issuers' }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Outside-issuer trusts' }).waitFor();
  await expectFitsWindow(page);
  await runAxe(page);
  await screenshot(page, 'issuers-narrow');
  expectNoProblems(page);
  await page.close();
});
