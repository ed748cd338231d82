#include "cli/assertion_options.h"

namespace tessera::cli {

void AddAssertionKeyOptions(CLI::App* cmd, AssertionKeyOptions* o) {
  cmd->add_option("--key", o->key_file,
                  "Private key file signing the assertion: PEM (PKCS#8, PKCS#1, SEC1, also the "
                  "output of openssl pkcs12 -nocerts) or DER");
  cmd->add_option("--key-password", o->key_password,
                  "Password of an ENCRYPTED PRIVATE KEY (or set TESSERA_KEY_PASSWORD)")
      ->envname("TESSERA_KEY_PASSWORD");
  cmd->add_option("--p12", o->p12_file, "PKCS#12 file holding the private key (and certificate)");
  cmd->add_option("--p12-password", o->p12_password,
                  "Password of the PKCS#12 file (or set TESSERA_P12_PASSWORD)")
      ->envname("TESSERA_P12_PASSWORD");
  cmd->add_option("--kid", o->kid, "Header kid: the certificate alias registered with the server");
  cmd->add_flag("--x5t", o->x5t,
                "Header x5t: the SHA-1 thumbprint of the certificate (--cert, or the one in "
                "--p12); the default when a certificate is given and --kid is not");
  cmd->add_option("--cert", o->cert_file, "The signing key's certificate (PEM or DER)");
  cmd->add_option("--aud", o->aud, "The aud claim")->capture_default_str();
  cmd->add_option("--ttl", o->ttl, "Seconds until exp")->capture_default_str();
  cmd->add_option("--alg", o->alg,
                  "Signature algorithm: RS256 or PS256 for RSA (default RS256), ES256/ES384/ES512 "
                  "by curve, EdDSA for Ed25519");
}

}  // namespace tessera::cli
