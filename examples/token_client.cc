// example_token_client: obtain a token with tessera_client and print it, twice, to show the
// cache (the second call makes no request).
//
//   example_token_client BASE_URL CLIENT_ID CLIENT_SECRET [USER KEY_PEM KID] [SCOPE]
//
// With USER, KEY_PEM and KID: a user token (RFC 7523 user assertion signed with KEY_PEM, named
// by KID); without: a client-credentials token. Exit 1 with the server's error on failure.
#include <tessera/client.h>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5 && argc != 7 && argc != 8) {
    std::cerr << "usage: " << argv[0]
              << " BASE_URL CLIENT_ID CLIENT_SECRET [USER KEY_PEM KID] [SCOPE]\n";
    return 2;
  }
  tessera::client::TokenSourceOptions options;
  options.base_url = argv[1];
  options.client_id = argv[2];
  options.client_secret = argv[3];
  std::string user;
  std::string scope;
  if (argc >= 7) {
    user = argv[4];
    tessera::client::SignerOptions signer_options;
    signer_options.kid = argv[6];
    auto signer = tessera::client::AssertionSigner::FromPemFile(argv[5], signer_options);
    if (!signer.ok()) {
      std::cerr << "example_token_client: " << signer.status().message() << '\n';
      return 1;
    }
    options.user_signer = *signer;
    if (argc == 8) scope = argv[7];
  } else if (argc == 5) {
    scope = argv[4];
  }
  auto source = tessera::client::TokenSource::Create(options);
  if (!source.ok()) {
    std::cerr << "example_token_client: " << source.status().message() << '\n';
    return 1;
  }
  for (int round = 0; round < 2; ++round) {
    tessera::client::TokenError error;
    auto token =
        user.empty() ? source->ClientToken(scope, &error) : source->UserToken(user, scope, &error);
    if (!token.ok()) {
      std::cerr << "example_token_client: " << error.ToString() << '\n';
      return 1;
    }
    std::cout << "token " << round + 1 << ": expires in " << token->expires_at - token->issued_at
              << " s, scope \"" << token->scope << "\", requests so far " << source->RequestCount()
              << '\n'
              << token->access_token << '\n';
  }
  return 0;
}
