// The Dashboard (/console/): the active signing key, a certificate expiring in 10 days, an
// inactive app, and the token failures by reason over the last 24 hours with their counts, each
// reason linking to the Audit screen filtered to it; the empty states before any of it exists.
// No CSP violation, no console error, no serious or critical axe finding; screenshots at 1280
// and 360 pixels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  adminApi,
  consoleSuite,
  expectNoProblems,
  runAxe,
  screenshot,
} from './harness.mjs';
import { ACTIVE_APP, CERT_ALIAS, INACTIVE_APP, refusalsOfKnownReasons } from './refusals.mjs';

const suite = consoleSuite({ demo: false });

// The failures table's rows as { reason, count, href }.
async function failureRows(page) {
  const table = page.getByRole('region', { name: 'Token failures by reason' });
  await table.waitFor();
  return table.locator('tbody tr').evaluateAll((rows) =>
    rows.map((tr) => {
      const cells = tr.querySelectorAll('td');
      const link = cells[0].querySelector('a');
      return { reason: cells[0].textContent, count: Number(cells[1].textContent), href: link?.getAttribute('href') };
    }),
  );
}

test('the dashboard before anything happened: every empty state is written out', async () => {
  const page = await suite.signedInPage();
  await page.goto(`${suite.server.url}/console/`);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await page.getByText('No token failures in the last 24 hours.').waitFor();
  await page.getByText('No certificate expires within 30 days.').waitFor();
  await page.getByText('Every app is active.').waitFor();
  expectNoProblems(page);
  await page.context().close();
});

test('the dashboard shows the key, the expiring certificate, the inactive app and the failures', async () => {
  await refusalsOfKnownReasons(suite.server);
  const keys = await adminApi(suite.server, 'GET', '/admin/v1/SigningKeys');
  const active = keys.body.Resources.find((k) => k.state === 'active');
  assert.ok(active, JSON.stringify(keys.body));

  for (const { width, suffix } of [
    { width: 1280, suffix: '' },
    { width: 360, suffix: '-narrow' },
  ]) {
    const page = await suite.signedInPage({ width });
    await page.goto(`${suite.server.url}/console/`);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();

    // The signing key, and the way to manage it.
    const keyCard = page.getByRole('region', { name: 'Signing key' });
    await keyCard.getByText(active.kid).waitFor();
    assert.match(await keyCard.textContent(), new RegExp(active.alg));
    assert.equal(await keyCard.getByRole('link', { name: 'Manage signing keys' }).getAttribute('href'), '/console/keys');

    // The certificate made with openssl req -x509 -days 10: 9 whole days left (or 10 right at the
    // second of its creation).
    const certCard = page.getByRole('region', { name: 'Certificates expiring soon' });
    const certItem = certCard.getByRole('listitem').filter({ hasText: CERT_ALIAS });
    await certItem.waitFor();
    assert.match(await certItem.textContent(), /\(client\).*(9|10) days left/);
    assert.equal(await certCard.getByRole('link', { name: 'Manage certificates' }).getAttribute('href'), '/console/certificates');

    // The app never activated is listed; the active one is not.
    const appCard = page.getByRole('region', { name: 'Inactive apps' });
    await appCard.getByText(INACTIVE_APP).waitFor();
    assert.equal(await appCard.getByText(ACTIVE_APP).count(), 0);
    assert.equal(await appCard.getByRole('link', { name: 'Manage applications' }).getAttribute('href'), '/console/apps');

    // The refusals by reason, with their counts, by count descending, each linking to the Audit.
    await page.getByText('6 refused token requests').waitFor();
    const rows = await failureRows(page);
    assert.deepEqual(rows, [
      {
        reason: 'assertion_audience_rejected',
        count: 3,
        href: '/console/audit?reason=assertion_audience_rejected&outcome=rejected',
      },
      { reason: 'unknown_client', count: 2, href: '/console/audit?reason=unknown_client&outcome=rejected' },
      { reason: 'bad_client_secret', count: 1, href: '/console/audit?reason=bad_client_secret&outcome=rejected' },
    ]);
    // The bars: the largest count is the full width, the others in proportion (classes only).
    const bars = await page.locator('.failure-bar span').evaluateAll((spans) => spans.map((s) => s.className));
    assert.deepEqual(bars, ['bar-20', 'bar-13', 'bar-7']);

    await runAxe(page);
    await screenshot(page, `dashboard${suffix}`);
    expectNoProblems(page);
    await page.context().close();
  }
});

test('a reason opens the Audit screen filtered to its refusals', async () => {
  const page = await suite.signedInPage();
  await page.goto(`${suite.server.url}/console/`);
  await page.getByRole('link', { name: 'unknown_client' }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
  const url = new URL(page.url());
  assert.equal(url.pathname, '/console/audit');
  assert.equal(url.searchParams.get('reason'), 'unknown_client');
  assert.equal(url.searchParams.get('outcome'), 'rejected');
  await page.getByText('Showing 2 of 2 matching events').waitFor();
  expectNoProblems(page);
  await page.context().close();
});
