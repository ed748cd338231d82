// The Users screen: create, filter by userName, deactivate, delete, each checked through the
// admin API; no CSP violation, no console error, axe clean, at 1280 and 360 px.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  consoleSuite,
  expectFitsWindow,
  expectNoProblems,
  runAxe,
  screenshot,
} from './harness.mjs';
import { admin, unique, waitFor } from './directory-helpers.mjs';

const suite = consoleSuite();

async function findUser(userName) {
  const list = await admin(
    suite.server,
    'GET',
    `/admin/v1/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
  );
  return list.Resources[0];
}

async function createUser(page, userName, given, family, email) {
  await page.getByLabel('User name', { exact: true }).fill(userName);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('row', { name: new RegExp(`^${userName} `) }).waitFor();
}

test('users: create, filter, deactivate, delete', async () => {
  const alice = unique('alice');
  const bob = unique('bob');
  const page = await suite.signedInPage({ width: 1280 });
  await page.goto(`${suite.server.url}/console/users`);
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();

  await createUser(page, alice, 'Alice', 'Liddell', 'alice@example.com');
  await createUser(page, bob, 'Bob', 'Builder', 'bob@example.com');
  const stored = await findUser(alice);
  assert.equal(stored.name.givenName, 'Alice');
  assert.equal(stored.name.familyName, 'Liddell');
  assert.equal(stored.emails[0].value, 'alice@example.com');
  assert.equal(stored.active, true);
  const aliceRow = page.getByRole('row', { name: new RegExp(`^${alice} `) });
  assert.match(await aliceRow.textContent(), /Alice Liddell.*alice@example\.com.*active/);

  // Filter: the SCIM filter userName eq "...", an exact match.
  await page.getByLabel('Filter by user name').fill(bob);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await waitFor(
    async () => (await page.locator('caption').textContent()).includes(`named “${bob}”`),
    'the filter',
  );
  // The caption follows the filter at once, the rows when the answer is in: wait for them.
  await waitFor(async () => (await page.locator('tbody tr').count()) === 1, 'the filtered rows');
  assert.equal(await page.getByRole('row', { name: new RegExp(`^${bob} `) }).count(), 1);
  await page.getByRole('button', { name: 'Clear filter' }).click();
  await aliceRow.waitFor();

  // Deactivate, then the server holds it inactive.
  await page.getByRole('button', { name: `Deactivate ${alice}`, exact: true }).click();
  await page.getByRole('button', { name: `Activate ${alice}`, exact: true }).waitFor();
  assert.equal((await findUser(alice)).active, false);
  assert.match(await aliceRow.textContent(), /inactive/);

  await runAxe(page);
  await screenshot(page, 'users');

  // Delete: asks first; Cancel keeps the user.
  await page.getByRole('button', { name: `Delete ${alice}` }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.ok(await findUser(alice));
  await page.getByRole('button', { name: `Delete ${alice}` }).click();
  await page.getByRole('button', { name: 'Delete user' }).click();
  await aliceRow.waitFor({ state: 'detached' });
  assert.equal(await findUser(alice), undefined);
  assert.ok(await findUser(bob));

  // By keyboard alone: Enter submits the form; on Delete, the focus moves to the confirming
  // button, so Enter again deletes.
  const carol = unique('carol');
  await page.getByLabel('User name', { exact: true }).focus();
  await page.keyboard.type(carol);
  await page.keyboard.press('Enter');
  const carolRow = page.getByRole('row', { name: new RegExp(`^${carol} `) });
  await carolRow.waitFor();
  await page.getByRole('button', { name: `Delete ${carol}` }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Delete user' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.textContent === 'Delete user');
  await page.keyboard.press('Enter');
  await carolRow.waitFor({ state: 'detached' });
  assert.equal(await findUser(carol), undefined);

  // A refused creation (the user name is taken) shows the server's detail next to the form.
  await page.getByLabel('User name', { exact: true }).fill(bob);
  await page.getByRole('button', { name: 'Create user' }).click();
  await page
    .getByRole('form', { name: 'Create a user' })
    .getByText(/already|taken|exists|unique/i)
    .waitFor();

  // The browser logs the refused request itself; nothing else may be logged.
  expectNoProblems(page, { allow: [/^console: Failed to load resource: .* 409 .*\/admin\/v1\/Users$/] });
  await page.close();
});

test('users at 360 px', async () => {
  const page = await suite.signedInPage({ width: 360 });
  await page.goto(`${suite.server.url}/console/users`);
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  await waitFor(async () => !(await page.locator('caption').textContent()).startsWith('Loading'), 'the list');
  await expectFitsWindow(page);
  await runAxe(page);
  await screenshot(page, 'users-narrow');
  expectNoProblems(page);
  await page.close();
});
