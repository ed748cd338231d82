#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "jose/openssl_util.h"

namespace tessera::http {
namespace {

namespace ssl = boost::asio::ssl;

// Modern ciphers for TLS 1.2 (Mozilla "intermediate"): ECDHE key exchange, AEAD only.
// TLS 1.3 suites are OpenSSL's defaults, all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's reason for the failure just reported, for a message.
std::string OpenSslReason() {
  std::string reason = jose::TakeOpenSslError();
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsContext(const std::string& cert_file,
                                                     const std::string& key_file) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = tls->native_handle();
  jose::ClearOpenSslErrors();
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); compression invites CRIME; renegotiation is
  // a DoS lever and unneeded.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return Status::Internal("TLS cipher list: " + OpenSslReason());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Status::InvalidArgument("TLS certificate " + cert_file + ": " + OpenSslReason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate already here; say so in plain words, as
    // a key left over from the previous pair is the likely mistake of a reload.
    const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    return Status::InvalidArgument(
        "TLS key " + key_file +
        (mismatch ? " does not match the certificate " + cert_file : std::string()) + ": " +
        OpenSslReason());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("TLS key " + key_file + " does not match the certificate " +
                                   cert_file + ": " + OpenSslReason());
  }
  return tls;
}

std::string CertificateSubject(ssl::context& tls) {
  X509* cert = SSL_CTX_get0_certificate(tls.native_handle());
  if (cert == nullptr) return "(none)";
  jose::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return "(unknown)";
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return "(unknown)";
  }
  return jose::BioContents(bio.get());
}

}  // namespace tessera::http
