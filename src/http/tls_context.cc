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

// The id that lets sessions resume when client certificates are requested: without it OpenSSL
// refuses to resume a session whose peer was asked for a certificate (SSL_set_session_id_context).
constexpr unsigned char kSessionIdContext[] = "tessera";

// Accepts every chain at the handshake: a self-signed certificate must reach the token
// endpoint's self_signed_tls_client_auth, and a client whose certificate does not verify is
// still served (as if it had presented none, for anything that needs the CA). Returning 1
// leaves OpenSSL's verdict in the session's verify result, which PeerCertificate reads.
int AcceptAnyChain(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

// OpenSSL's reason for the failure just reported, for a message.
std::string OpenSslReason() {
  std::string reason = jose::TakeOpenSslError();
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsContext(const std::string& cert_file,
                                                     const std::string& key_file,
                                                     const ClientCa* client_ca) {
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
  if (client_ca != nullptr) {
    // RFC 8705 2 and 3: requested (SSL_VERIFY_PEER), never required (no
    // SSL_VERIFY_FAIL_IF_NO_PEER_CERT). No client CA list is set, so the request names none and
    // clients offer self-signed certificates too.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyChain);
    if (SSL_CTX_set1_verify_cert_store(ctx, client_ca->store()) != 1 ||
        SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1) !=
            1) {
      return Status::Internal("TLS client CA " + client_ca->file() + ": " + OpenSslReason());
    }
  }
  return tls;
}

ClientCertificate PeerCertificate(SSL* ssl) {
  ClientCertificate out;
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return out;
  const int length = i2d_X509(peer, nullptr);
  if (length <= 0 || static_cast<std::size_t>(length) > kMaxClientCertificateBytes) {
    jose::ClearOpenSslErrors();
    return out;
  }
  out.der.resize(static_cast<std::size_t>(length));
  auto* p = reinterpret_cast<unsigned char*>(out.der.data());
  if (i2d_X509(peer, &p) != length) {
    jose::ClearOpenSslErrors();
    return {};
  }
  // X509_V_OK only when every check passed: AcceptAnyChain let the handshake go on, and a
  // failure it overrode stays in the result.
  out.chained = SSL_get_verify_result(ssl) == X509_V_OK;
  return out;
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
