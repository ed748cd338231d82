// An outside OpenID provider for the federation tests: panva's oidc-provider on loopback.
//
// Usage: node idp.mjs CONFIG.json
//   CONFIG: {
//     "port": 0,                 // 0 picks a free port; a restart passes the port it had
//     "kid": "k1",               // the kid of the signing key made at start (a new key each start)
//     "alg": "RS256",            // RS256 (RSA 2048) or ES256 (P-256)
//     "clients": [{"client_id": .., "client_secret": .., "scope": "..."}],
//     "resources": {"<resource indicator>": {"scope": "...", "ttl": 300}},
//     "claims": {"<client_id>": {<extra access-token claims>}},
//     "users": {"<account id>": {"email": ..}},     // the end users of the code flow
//     "codeClients": [{"client_id": .., "client_secret": .., "redirect_uri": ..}]
//   }
// Prints one line `idp: listening on http://127.0.0.1:PORT (kid K)` once it serves, then the
// provider's own log. The issuer is http://127.0.0.1:PORT; discovery, JWKS and the token
// endpoint are the provider's (GET /.well-known/openid-configuration names them).
//
// Access tokens: client_credentials with a resource indicator (RFC 8707) gives a JWT access token
// (RFC 9068, typ at+jwt) whose aud is the resource, sub and client_id the client, plus the
// configured extra claims of that client. ID tokens: the authorization code flow of a code client
// for the user named by login_hint; the login and consent steps are granted at once (the
// interaction route below), so a test drives the flow with plain redirects. The signing key
// exists only in this process: a restart with another kid is a key rotation at the issuer.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const alg = config.alg || 'RS256';
const pair = alg === 'ES256'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...pair.privateKey.export({ format: 'jwk' }), kid: config.kid, alg, use: 'sig' };

const server = createServer();
server.listen(config.port || 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const resources = config.resources || {};
  const scopes = new Set(['openid']);
  for (const r of Object.values(resources)) for (const s of r.scope.split(' ')) scopes.add(s);
  const users = config.users || {};
  const provider = new Provider(issuer, {
    clients: [
      ...(config.clients || []).map((c) => ({
        client_id: c.client_id,
        client_secret: c.client_secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: c.scope,
        id_token_signed_response_alg: alg,
      })),
      ...(config.codeClients || []).map((c) => ({
        client_id: c.client_id,
        client_secret: c.client_secret,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [c.redirect_uri],
        id_token_signed_response_alg: alg,
      })),
    ],
    claims: { openid: ['sub'], email: ['email'] },
    conformIdTokenClaims: false,  // the email scope's claims go into the ID token itself
    findAccount: (ctx, sub) => (users[sub]
      ? { accountId: sub, claims: () => ({ sub, ...users[sub] }) }
      : undefined),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // Consent is granted at once for what the client asked (test users only).
    loadExistingGrant: async (ctx) => {
      const { accountId } = ctx.oidc.session;
      if (!accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
      await grant.save();
      return grant;
    },
    ttl: { IdToken: 300 },
    scopes: [...scopes],
    jwks: { keys: [signingKey] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          const r = resources[indicator];
          if (!r) throw new Error(`unknown resource indicator ${indicator}`);
          return {
            scope: r.scope,
            audience: indicator,
            accessTokenTTL: r.ttl || 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    extraTokenClaims: (ctx, token) => (config.claims || {})[token.clientId],
  });
  provider.on('server_error', (ctx, err) => console.error('idp: server_error', err));
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (!req.url.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    // Login: the account named by the authorization request's login_hint, if it exists.
    try {
      const details = await provider.interactionDetails(req, res);
      const accountId = details.params.login_hint;
      const result = users[accountId]
        ? { login: { accountId } }
        : { error: 'access_denied', error_description: 'unknown login_hint' };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (err) {
      console.error('idp: interaction', err);
      res.statusCode = 400;
      res.end();
    }
  });
  console.log(`idp: listening on ${issuer} (kid ${config.kid})`);
});
