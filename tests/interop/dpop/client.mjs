// A DPoP client written by someone else: panva's oauth4webapi (RFC 9449 support of its own),
// used as its documentation shows. It obtains a DPoP-bound token with client_credentials from
// the token endpoint (answering use_dpop_nonce once, as the library's nonce cache expects) and
// calls a resource behind `tessera gateway` with it. Prints one JSON line of what happened.
//
// Usage: node client.mjs ISSUER TOKEN_ENDPOINT CLIENT_ID CLIENT_SECRET SCOPE RESOURCE_URL
import * as oauth from 'oauth4webapi';

const [issuer, tokenEndpoint, clientId, clientSecret, scope, resource] = process.argv.slice(2);
const as = { issuer, token_endpoint: tokenEndpoint };
const client = { client_id: clientId };
const auth = oauth.ClientSecretBasic(clientSecret);
const insecure = { [oauth.allowInsecureRequests]: true };  // loopback http in the test

const keyPair = await oauth.generateKeyPair('ES256');
const DPoP = oauth.DPoP(client, keyPair);

let nonceRetries = 0;
let token;
for (;;) {
  try {
    const response = await oauth.clientCredentialsGrantRequest(
        as, client, auth, new URLSearchParams({ scope }), { DPoP, ...insecure });
    token = await oauth.processClientCredentialsResponse(as, client, response);
    break;
  } catch (err) {
    // RFC 9449 8: the library has kept the DPoP-Nonce; the request is made again once.
    if (oauth.isDPoPNonceError(err) && nonceRetries === 0) {
      nonceRetries += 1;
      continue;
    }
    throw err;
  }
}

const call = await oauth.protectedResourceRequest(
    token.access_token, 'GET', new URL(resource), new Headers(), null, { DPoP, ...insecure });
const body = await call.text();
console.log(JSON.stringify({
  token_type: token.token_type,
  access_token: token.access_token,
  nonce_retries: nonceRetries,
  status: call.status,
  body,
}));
