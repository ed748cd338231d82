// example_verify_token: verify a bearer token with tessera_verifier, as a resource server
// would, and print who it names.
//
//   example_verify_token JWKS_URL ISSUER AUDIENCE TOKEN [REQUIRED_SCOPE]
//
// Prints "subject <sub>", "client <client_id>" and "scope <scope>" and exits 0 when the token
// verifies; else exit 1 with the reason (tessera::verifier::ReasonText) and its detail.
#include <tessera/verifier.h>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::cerr << "usage: " << argv[0] << " JWKS_URL ISSUER AUDIENCE TOKEN [REQUIRED_SCOPE]\n";
    return 2;
  }
  tessera::verifier::VerifierOptions options;
  options.jwks_url = argv[1];
  options.issuer = argv[2];
  options.audiences = {argv[3]};
  if (argc == 6) options.required_scopes = {argv[5]};
  auto verifier = tessera::verifier::Verifier::Create(options);
  if (!verifier.ok()) {
    std::cerr << "example_verify_token: " << verifier.status().message() << '\n';
    return 1;
  }
  auto who = verifier->VerifyAuthorization(std::string("Bearer ") + argv[4]);
  if (!who.ok()) {
    std::cerr << "example_verify_token: "
              << tessera::verifier::ReasonText(tessera::verifier::ReasonOf(who.status())) << " ("
              << who.status().message() << ")\n";
    return 1;
  }
  std::cout << "subject " << who->subject << '\n'
            << "client " << who->client_id << '\n'
            << "scope " << who->scope << '\n';
  return 0;
}
