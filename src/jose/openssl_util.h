// RAII holders for OpenSSL objects and the one place OpenSSL's error queue is read and turned
// into a Status (as leveldb's PosixError does for errno). Internal to Tessera's libraries: src/jose
// and the HTTP server's TLS context (src/http/tls_context.cc) use it; it is not installed.
#ifndef TESSERA_JOSE_OPENSSL_UTIL_H_
#define TESSERA_JOSE_OPENSSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "jose/error.h"
#include "jose/key.h"

namespace tessera::jose {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

// Drains OpenSSL's thread-local error queue and returns OpenSSL's one-line text of its oldest
// entry (the cause; later entries are the callers that passed it on), or "" when the queue is
// empty. Always clears the queue.
std::string TakeOpenSslError();

// Drains OpenSSL's thread-local error queue into a failed Status with reason `e`:
// "<text>: <context> (<first OpenSSL reason>)", or without the parenthesis when the queue is
// empty. Always clears the queue.
Status OpenSslFailure(JoseError e, std::string_view context);

// Clears the error queue without reporting (after an expected failure, e.g. trying a format).
void ClearOpenSslErrors();

// A read-only memory BIO over `data`. The BIO must not outlive `data`.
BioPtr MemBio(std::string_view data);

// The bytes written to a memory BIO.
std::string BioContents(BIO* bio);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_OPENSSL_UTIL_H_
