// The Certificates screen: client certificates uploaded as PEM text and as a DER file, their
// thumbprints equal to openssl's fingerprints, the validity badge of one expiring soon, the apps
// using one, a partner certificate, deletion; no CSP violation, no console error, axe clean.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  consoleSuite,
  expectFitsWindow,
  expectNoProblems,
  runAxe,
  screenshot,
} from './harness.mjs';
import {
  admin,
  makeCertificate,
  opensslSubject,
  opensslThumbprint,
  tempDir,
  unique,
  waitFor,
} from './directory-helpers.mjs';

const suite = consoleSuite();
let tmp;

before(async () => {
  tmp = tempDir('tessera-console-certs-');
});

after(async () => {
  tmp?.cleanup();
});

const card = (page, alias) => page.getByRole('article', { name: new RegExp(`^${alias} `) });

async function upload(page, alias, { pem, file }) {
  await page.getByLabel('Alias').fill(alias);
  if (pem !== undefined) await page.getByLabel('Certificate (PEM)').fill(pem);
  if (file !== undefined) await page.getByLabel('Or a certificate file (PEM or DER)').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload certificate' }).click();
  await card(page, alias).waitFor();
}

test('client and partner certificates: upload, thumbprints, validity, used by, delete', async () => {
  const pemCert = makeCertificate(tmp.dir, 'pem-upload', {
    subj: '/O=Tessera Test/OU=Console/CN=pem-upload',
  });
  const derCert = makeCertificate(tmp.dir, 'der-upload', { days: 10 });
  const partnerCert = makeCertificate(tmp.dir, 'partner');
  const pemAlias = unique('pem');
  const derAlias = unique('der');
  const partnerAlias = unique('partner');

  const page = await suite.signedInPage({ width: 1280 });
  await page.goto(`${suite.server.url}/console/certificates`);
  await page.getByRole('heading', { level: 1, name: 'Certificates' }).waitFor();

  // PEM pasted, DER chosen as a file (read as bytes in the browser, sent as base64).
  await upload(page, pemAlias, { pem: pemCert.pem });
  await upload(page, derAlias, { file: derCert.derPath });
  for (const [alias, cert] of [
    [pemAlias, pemCert],
    [derAlias, derCert],
  ]) {
    const c = card(page, alias);
    assert.equal(
      await c.locator('code[data-thumbprint="x5t"]').textContent(),
      opensslThumbprint(cert.pemPath, 'sha1'),
    );
    assert.equal(
      await c.locator('code[data-thumbprint="x5t#S256"]').textContent(),
      opensslThumbprint(cert.pemPath, 'sha256'),
    );
    // The subject as openssl prints it (RFC 4514), from the server or read from the certificate.
    assert.ok(
      (await c.textContent()).includes(`Subject${opensslSubject(cert.pemPath)}x5t`),
      `${alias}: the subject ${opensslSubject(cert.pemPath)}`,
    );
    assert.match(await c.textContent(), /Validfrom \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC until /);
    const stored = await admin(
      suite.server,
      'GET',
      `/admin/v1/OAuthClientCertificates/${encodeURIComponent(alias)}`,
    );
    assert.equal(stored.x5t, opensslThumbprint(cert.pemPath, 'sha1'));
  }
  assert.match(await card(page, pemAlias).getByRole('heading').textContent(), /valid$/);
  // openssl -days 10: under 30 days left, so the warning badge with the days left.
  assert.match(await card(page, derAlias).getByRole('heading').textContent(), /expires in (9|10) days/);

  // An app attaching the PEM one (through the admin API) is listed under it, linked.
  const app = await admin(suite.server, 'POST', '/admin/v1/Apps', {
    displayName: unique('Certificate user'),
    isOAuthClient: true,
    clientType: 'confidential',
    allowedGrants: ['client_credentials'],
    certificates: [{ certAlias: pemAlias }],
  });
  await page.reload();
  const link = card(page, pemAlias).getByRole('link', { name: app.displayName });
  await link.waitFor();
  assert.equal(await link.getAttribute('href'), `/console/apps?id=${encodeURIComponent(app.id)}`);
  assert.equal(await card(page, derAlias).getByText('no app').count(), 1);

  // Copy puts the thumbprint on the clipboard, or says the browser refused; nothing breaks.
  await card(page, pemAlias)
    .getByRole('button', { name: `Copy x5t of ${pemAlias}` })
    .click();
  await card(page, pemAlias)
    .getByText(/^(Copied|Copy refused)/)
    .waitFor();

  await runAxe(page);
  await screenshot(page, 'certificates');

  // Deleting one in use says which apps lose it; Cancel keeps it.
  await card(page, pemAlias)
    .getByRole('button', { name: `Delete ${pemAlias}` })
    .click();
  await card(page, pemAlias).getByText(`It is attached to ${app.displayName}`).waitFor();
  await card(page, pemAlias).getByRole('button', { name: 'Cancel' }).click();

  // Delete the DER one, with its confirmation.
  await card(page, derAlias)
    .getByRole('button', { name: `Delete ${derAlias}` })
    .click();
  await page.getByRole('button', { name: 'Delete certificate' }).click();
  await card(page, derAlias).waitFor({ state: 'detached' });
  const left = await admin(suite.server, 'GET', '/admin/v1/OAuthClientCertificates');
  assert.deepEqual(
    left.Resources.map((c) => c.certificateAlias).filter((a) => a === derAlias || a === pemAlias),
    [pemAlias],
  );

  // Partner certificates: their own tab, keyboard-reachable with the arrow keys.
  await page.getByRole('tab', { name: 'Client certificates' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(
    await page.getByRole('tab', { name: 'Partner certificates' }).getAttribute('aria-selected'),
    'true',
  );
  await page.getByRole('heading', { level: 2, name: 'Partner certificates' }).waitFor();
  await upload(page, partnerAlias, { pem: partnerCert.pem });
  assert.equal(
    await card(page, partnerAlias).locator('code[data-thumbprint="x5t#S256"]').textContent(),
    opensslThumbprint(partnerCert.pemPath, 'sha256'),
  );
  const partners = await admin(suite.server, 'GET', '/admin/v1/OAuthPartnerCertificates');
  assert.ok(partners.Resources.some((c) => c.certificateAlias === partnerAlias));
  await runAxe(page);

  // A refused upload (not a certificate) is shown next to the form, and nothing is stored.
  await page.getByLabel('Alias').fill('not-a-certificate');
  await page
    .getByLabel('Certificate (PEM)')
    .fill('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----');
  await page.getByRole('button', { name: 'Upload certificate' }).click();
  await page.getByRole('alert').waitFor();
  await waitFor(async () => {
    const list = await admin(suite.server, 'GET', '/admin/v1/OAuthPartnerCertificates');
    return !list.Resources.some((c) => c.certificateAlias === 'not-a-certificate');
  }, 'the refused certificate to be absent');

  // The browser logs the refused upload itself; nothing else may be logged.
  expectNoProblems(page, {
    allow: [/^console: Failed to load resource: .* 400 .*\/admin\/v1\/OAuthPartnerCertificates$/],
  });
  await page.close();
});

test('certificates at 360 px', async () => {
  const page = await suite.signedInPage({ width: 360 });
  await page.goto(`${suite.server.url}/console/certificates`);
  await page.getByRole('heading', { level: 1, name: 'Certificates' }).waitFor();
  await page.getByRole('heading', { level: 3, name: /^\d+ certificates?$/ }).waitFor();
  await expectFitsWindow(page);
  await runAxe(page);
  await screenshot(page, 'certificates-narrow');
  expectNoProblems(page);
  await page.close();
});
