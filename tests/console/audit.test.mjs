// The Audit screen (/console/audit): the filters (reason code, client, outcome, time range,
// count) narrow the list and are kept in the URL, so that a link opens the same view; a refusal
// by an assertion rule links to that rule in the Assertion Lab; paging goes back in time. No CSP
// violation, no console error, no serious or critical axe finding; screenshots at 1280 and 360
// pixels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consoleSuite, expectNoProblems, runAxe, screenshot } from './harness.mjs';
import { UNKNOWN_CLIENT, refusalsOfKnownReasons, tokenRequest } from './refusals.mjs';

let app;
const suite = consoleSuite({ demo: false }, async ({ server }) => {
  app = await refusalsOfKnownReasons(server);
});

// The events table's rows as { client, outcome, code, href }.
async function eventRows(page) {
  const table = page.getByRole('region', { name: 'Audit events' });
  await table.waitFor();
  return table.locator('tbody tr').evaluateAll((rows) =>
    rows
      .filter((tr) => tr.querySelectorAll('td').length > 1)
      .map((tr) => {
        const cells = tr.querySelectorAll('td');
        const code = cells[5].querySelector('.mono');
        return {
          client: cells[1].textContent,
          outcome: cells[4].textContent,
          code: code ? code.textContent : cells[5].textContent,
          href: cells[5].querySelector('a')?.getAttribute('href') ?? null,
        };
      }),
  );
}

function query(page) {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

test('a link with a reason filter opens the filtered view, and each refusal links to its rule', async () => {
  for (const { width, suffix } of [
    { width: 1280, suffix: '' },
    { width: 360, suffix: '-narrow' },
  ]) {
    const page = await suite.signedInPage({ width });
    await page.goto(`${suite.server.url}/console/audit?reason=assertion_audience_rejected&outcome=rejected`);
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    await page.getByText('Showing 3 of 3 matching events').waitFor();
    const rows = await eventRows(page);
    assert.equal(rows.length, 3);
    for (const r of rows) {
      assert.deepEqual(r, {
        client: app.clientId,
        outcome: 'rejected',
        code: 'assertion_audience_rejected',
        href: '/console/lab#rule-5',
      });
    }
    // The form shows the filters of the URL.
    assert.equal(await page.getByLabel('Reason code').inputValue(), 'assertion_audience_rejected');
    assert.equal(await page.getByLabel('Outcome').inputValue(), 'rejected');
    await runAxe(page);
    await screenshot(page, `audit${suffix}`);
    expectNoProblems(page);
    await page.context().close();
  }
});

test("a refusal's rule link opens that rule in the Assertion Lab", async () => {
  const page = await suite.signedInPage();
  await page.goto(`${suite.server.url}/console/audit?reason=assertion_audience_rejected`);
  await page.getByText('Showing 3 of 3 matching events').waitFor();
  await page.getByRole('link', { name: 'assertion_audience_rejected' }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Assertion Lab' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/console/lab');
  assert.equal(new URL(page.url()).hash, '#rule-5');
  // The Lab has the anchor: rule 5, the audience.
  const rule = page.locator('#rule-5');
  await rule.waitFor();
  assert.match(await rule.textContent(), /aud/i);
  expectNoProblems(page);
  await page.context().close();
});

test('the filters narrow the list and the URL keeps them', async () => {
  const page = await suite.signedInPage();
  await page.goto(`${suite.server.url}/console/audit`);
  await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
  await page.getByText(/^Showing \d+ of \d+ matching events/).waitFor();
  const all = await eventRows(page);
  assert.ok(all.length >= 6, JSON.stringify(all));

  // By client and outcome: the unknown client's two refusals, with no rule to link to.
  await page.getByLabel('Client ID').fill(UNKNOWN_CLIENT);
  await page.getByLabel('Outcome').selectOption('rejected');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText('Showing 2 of 2 matching events').waitFor();
  assert.deepEqual(query(page), { clientId: UNKNOWN_CLIENT, outcome: 'rejected' });
  assert.deepEqual(await eventRows(page), [
    { client: UNKNOWN_CLIENT, outcome: 'rejected', code: 'unknown_client', href: null },
    { client: UNKNOWN_CLIENT, outcome: 'rejected', code: 'unknown_client', href: null },
  ]);

  // By reason code: exactly that code, of the app's client.
  await page.getByLabel('Client ID').fill(app.clientId);
  await page.getByLabel('Reason code').fill('bad_client_secret');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText('Showing 1 of 1 matching event').waitFor();
  assert.deepEqual(query(page), { clientId: app.clientId, outcome: 'rejected', reason: 'bad_client_secret' });
  assert.deepEqual((await eventRows(page)).map((r) => r.code), ['bad_client_secret']);

  // A reload of the URL is the same view (the filters live in the URL).
  await page.reload();
  await page.getByText('Showing 1 of 1 matching event').waitFor();
  assert.equal(await page.getByLabel('Client ID').inputValue(), app.clientId);
  assert.equal(await page.getByLabel('Reason code').inputValue(), 'bad_client_secret');

  // A time range that ends before all of it: nothing; the range is in the URL as seconds.
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByText(/^Showing \d+ of \d+ matching events/).waitFor();
  assert.deepEqual(query(page), {});
  await page.getByLabel('To (UTC)').fill('2020-01-01T00:00');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText('No events match these filters.').first().waitFor();
  assert.deepEqual(query(page), { until: '1577836800' });
  // And one that starts then: everything again.
  await page.getByLabel('To (UTC)').fill('');
  await page.getByLabel('From (UTC)').fill('2020-01-01T00:00');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText(/^Showing \d+ of \d+ matching events/).waitFor();
  assert.deepEqual(query(page), { since: '1577836800' });
  assert.equal((await eventRows(page)).length, all.length);

  // Back goes to the previous filters.
  await page.goBack();
  await page.getByText('No events match these filters.').first().waitFor();
  expectNoProblems(page);
  await page.context().close();
});

test('paging by count goes back in time from the last event shown', async () => {
  // 30 more events of the app: tokens issued (or refused once over its request budget).
  for (let i = 0; i < 30; i++) {
    await tokenRequest(suite.server, { grant_type: 'client_credentials' }, [app.clientId, app.secret]);
  }
  const page = await suite.signedInPage();
  await page.goto(`${suite.server.url}/console/audit?clientId=${encodeURIComponent(app.clientId)}&count=25`);
  await page.getByText(/^Showing 25 of \d+ matching events/).waitFor();
  assert.equal(await page.getByLabel('Events per page').inputValue(), '25');
  const rows = await page.getByRole('region', { name: 'Audit events' }).locator('tbody tr').count();
  assert.equal(rows, 25);
  const older = page.getByRole('link', { name: 'Older events' });
  const href = new URL(await older.getAttribute('href'), suite.server.url);
  assert.equal(href.searchParams.get('clientId'), app.clientId);
  assert.equal(href.searchParams.get('count'), '25');
  assert.match(href.searchParams.get('until'), /^\d+$/);
  await older.click();
  await page.getByRole('link', { name: 'Newest events' }).waitFor();
  assert.equal(query(page).until, href.searchParams.get('until'));
  expectNoProblems(page);
  await page.context().close();
});
