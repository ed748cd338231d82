// The Signing keys screen: rotation (the JWKS preview then holds two keys, the new kid active),
// revocation of the old key (it leaves the JWKS); no CSP violation, no console error, axe clean.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  consoleSuite,
  expectFitsWindow,
  expectNoProblems,
  runAxe,
  screenshot,
} from './harness.mjs';
import { admin, waitFor } from './directory-helpers.mjs';

const suite = consoleSuite();

async function jwksPreview(page) {
  const text = await page.getByLabel('JWKS preview').textContent();
  return text === '' ? undefined : JSON.parse(text);
}

async function keyStates() {
  const list = await admin(suite.server, 'GET', '/admin/v1/SigningKeys');
  return Object.fromEntries(list.Resources.map((k) => [k.kid, k.state]));
}

test('keys: rotate, JWKS preview, revoke the old key', async () => {
  const before = await keyStates();
  const [oldKid] = Object.entries(before).find(([, state]) => state === 'active');
  const page = await suite.signedInPage({ width: 1280 });
  await page.goto(`${suite.server.url}/console/keys`);
  await page.getByRole('heading', { level: 1, name: 'Signing keys' }).waitFor();
  const initial = await waitFor(() => jwksPreview(page), 'the JWKS preview');
  assert.deepEqual(
    initial.keys.map((k) => k.kid),
    [oldKid],
  );
  assert.equal(
    await page.getByRole('button', { name: `Revoke key ${oldKid}` }).count(),
    0,
    'the active key has no Revoke',
  );

  // Rotate: the confirmation explains that the old key stays published.
  await page.getByRole('button', { name: 'Rotate signing key' }).click();
  await page.getByText('stays published in the JWKS').waitFor();
  await page.getByRole('button', { name: 'Rotate now' }).click();
  const notice = await waitFor(async () => {
    const m = /New active key (\S+)\./.exec(await page.locator('.notice').first().textContent());
    return m && m[1];
  }, 'the new key');
  const newKid = notice;
  assert.notEqual(newKid, oldKid);
  const after = await keyStates();
  assert.equal(after[newKid], 'active');
  assert.equal(after[oldKid], 'retired');
  const rotated = await waitFor(async () => {
    const j = await jwksPreview(page);
    return j && j.keys.length === 2 && j;
  }, 'two keys in the JWKS preview');
  assert.deepEqual(rotated.keys.map((k) => k.kid).sort(), [newKid, oldKid].sort());
  // The table follows the same answer as the preview, in a render of its own: wait for it.
  const newRow = page.getByRole('row', { name: new RegExp(`^${newKid} `) });
  await newRow.filter({ hasText: /active/ }).waitFor();
  const oldRow = page.getByRole('row', { name: new RegExp(`^${oldKid} `) });
  await oldRow.filter({ hasText: /published/ }).waitFor();

  await runAxe(page);
  await screenshot(page, 'keys');

  // Revoke the old one: the confirmation says its tokens stop verifying.
  await page.getByRole('button', { name: `Revoke key ${oldKid}` }).click();
  await page.getByText('tokens it signed stop verifying').waitFor();
  await page.getByRole('button', { name: 'Revoke key', exact: true }).click();
  // The administrator's bearer token was signed by the revoked key: it stops verifying too, so
  // the checks below need a new one.
  await page.getByText(`Key ${oldKid} revoked.`).waitFor();
  delete suite.server.adminToken;
  await waitFor(async () => (await keyStates())[oldKid] === 'revoked', 'the old key revoked');
  const revoked = await waitFor(async () => {
    const j = await jwksPreview(page);
    return j && j.keys.length === 1 && j;
  }, 'one key in the JWKS preview');
  assert.equal(revoked.keys[0].kid, newKid);
  await oldRow.filter({ hasText: /revoked/ }).waitFor();
  assert.equal((await keyStates())[newKid], 'active');

  expectNoProblems(page);
  await page.close();
});

test('keys at 360 px', async () => {
  const page = await suite.signedInPage({ width: 360 });
  await page.goto(`${suite.server.url}/console/keys`);
  await page.getByRole('heading', { level: 1, name: 'Signing keys' }).waitFor();
  await waitFor(() => jwksPreview(page), 'the JWKS preview');
  await expectFitsWindow(page);
  await runAxe(page);
  await screenshot(page, 'keys-narrow');
  expectNoProblems(page);
  await page.close();
});
