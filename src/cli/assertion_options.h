// The options that name the key of an assertion and sign it, shared by `tessera assert` and
// `tessera token` (its user assertion), so that both commands take the same flags with the same
// meaning and defaults.
//
// Example:
//   auto o = std::make_shared<AssertionKeyOptions>();
//   AddAssertionKeyOptions(cmd, o.get());  // --key, --p12, --kid, --x5t, --cert, --aud, ...
#ifndef TESSERA_CLI_ASSERTION_OPTIONS_H_
#define TESSERA_CLI_ASSERTION_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "tessera/client.h"

namespace tessera::cli {

struct AssertionKeyOptions {
  std::optional<std::string> key_file;      // --key: private key, PEM or DER
  std::string key_password;                 // --key-password (TESSERA_KEY_PASSWORD)
  std::optional<std::string> p12_file;      // --p12: PKCS#12 with the key (and certificate)
  std::optional<std::string> p12_password;  // --p12-password (TESSERA_P12_PASSWORD)
  std::optional<std::string> kid;           // --kid: header kid, the certificate alias
  bool x5t = false;                         // --x5t: header x5t from the certificate
  std::optional<std::string> cert_file;     // --cert: the signing key's certificate
  std::string aud = std::string(client::kDefaultAudience);  // --aud: the aud claim
  int64_t ttl = 300;                                        // --ttl: seconds until exp
  std::string alg;  // --alg: empty for the key's default (RS256 for RSA)
};

// Registers --key, --key-password, --p12, --p12-password, --kid, --x5t, --cert, --aud, --ttl
// and --alg on `cmd`, bound to `*o`, which must outlive the parse.
void AddAssertionKeyOptions(CLI::App* cmd, AssertionKeyOptions* o);

}  // namespace tessera::cli

#endif  // TESSERA_CLI_ASSERTION_OPTIONS_H_
