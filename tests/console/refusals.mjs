// Setup shared by the Dashboard and Audit browser tests: a domain with a client certificate that
// expires in 10 days (openssl req -x509 -days 10), a user, an active confidential app using that
// certificate, an app left inactive, and refusals of known reasons at /oauth2/v1/token:
//   assertion_audience_rejected x3  (assertions made with `tessera assert`, wrong aud; rule 5)
//   unknown_client x2               (Basic credentials of a client that does not exist)
//   bad_client_secret x1            (the active app with a wrong secret)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { adminApi, tessera } from './harness.mjs';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const UNKNOWN_CLIENT = 'no-such-client';
export const CERT_ALIAS = 'soon-expiring';
export const INACTIVE_APP = 'Idle reporting';
export const ACTIVE_APP = 'Billing batch';

async function created(server, apiPath, body) {
  const r = await adminApi(server, 'POST', apiPath, body);
  assert.equal(r.status, 201, `${apiPath}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// A token request from Node: { status, body }.
export async function tokenRequest(server, form, basic) {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (basic) headers.Authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
  const r = await fetch(`${server.url}/oauth2/v1/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, body: await r.json() };
}

// Builds the domain and causes the refusals; resolves to { clientId, secret, appId }.
export async function refusalsOfKnownReasons(server) {
  const dir = fs.mkdtempSync(path.join(server.dataDir, 'certs-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '10', '-subj', '/CN=soon-expiring/O=Tessera tests'], { stdio: 'ignore' });
  await created(server, '/admin/v1/OAuthClientCertificates', {
    certificateAlias: CERT_ALIAS,
    x509Base64Certificate: fs.readFileSync(cert, 'utf8'),
  });
  await created(server, '/admin/v1/Users', { userName: 'alice', active: true });
  const app = await created(server, '/admin/v1/Apps', {
    displayName: ACTIVE_APP,
    isOAuthClient: true,
    clientType: 'confidential',
    allowedGrants: ['client_credentials', JWT_BEARER],
    certificates: [{ certAlias: CERT_ALIAS }],
  });
  const activated = await adminApi(server, 'PUT', `/admin/v1/AppStatusChanger/${app.id}`, { active: true });
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  await created(server, '/admin/v1/Apps', {
    displayName: INACTIVE_APP,
    isOAuthClient: true,
    clientType: 'confidential',
    allowedGrants: ['client_credentials'],
  });

  const basic = [app.name, app.clientSecret];
  for (let i = 0; i < 3; i++) {
    const made = tessera(['assert', '--client-id', app.name, '--sub', 'alice', '--key', key, '--kid', CERT_ALIAS,
      '--aud', 'https://nope.example/']);
    assert.equal(made.status, 0, made.stderr);
    const r = await tokenRequest(server, { grant_type: JWT_BEARER, assertion: made.stdout.trim() }, basic);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error, 'invalid_grant');
  }
  for (let i = 0; i < 2; i++) {
    const r = await tokenRequest(server, { grant_type: 'client_credentials' }, [UNKNOWN_CLIENT, 'some-secret']);
    assert.equal(r.status, 401, JSON.stringify(r.body));
  }
  const wrong = await tokenRequest(server, { grant_type: 'client_credentials' }, [app.name, 'not-the-secret']);
  assert.equal(wrong.status, 401, JSON.stringify(wrong.body));
  return { clientId: app.name, secret: app.clientSecret, appId: app.id };
}
