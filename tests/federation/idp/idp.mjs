// An outside OpenID provider for the federation tests: panva's oidc-provider on loopback.
//
// Usage: node idp.mjs CONFIG.json
//   CONFIG: {
//     "port": 0,                 // 0 picks a free port; a restart passes the port it had
//     "kid": "k1",               // the kid of the signing key made at start (a new key each start)
//     "alg": "RS256",            // RS256 (RSA 2048) or ES256 (P-256)
//     "clients": [{"client_id": .., "client_secret": .., "scope": "..."}],
//     "resources": {"<resource indicator>": {"scope": "...", "ttl": 300}},
//     "claims": {"<client_id>": {<extra access-token claims>}}
//   }
// Prints one line `idp: listening on http://127.0.0.1:PORT (kid K)` once it serves, then the
// provider's own log. The issuer is http://127.0.0.1:PORT; discovery, JWKS and the token
// endpoint are the provider's (GET /.well-known/openid-configuration names them).
//
// Access tokens: client_credentials with a resource indicator (RFC 8707) gives a JWT access token
// (RFC 9068, typ at+jwt) whose aud is the resource, sub and client_id the client, plus the
// configured extra claims of that client. The signing key exists only in this process: a restart
// with another kid is a key rotation at the issuer.
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
  const provider = new Provider(issuer, {
    clients: (config.clients || []).map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: c.scope,
    })),
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
  server.on('request', provider.callback());
  console.log(`idp: listening on ${issuer} (kid ${config.kid})`);
});
