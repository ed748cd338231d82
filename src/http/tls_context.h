// The server's TLS context (internal to src/http): the one place that builds it, for
// Server::Start and Server::ReloadTls alike, so a reload can never weaken the protocol versions
// or ciphers.
//
// Settings: TLS 1.2 and 1.3 only (TLS 1.0 and 1.1 are deprecated, RFC 8996); for TLS 1.2 the
// ECDHE AEAD suites of Mozilla's "intermediate" list, the server's order preferred; TLS 1.3
// suites are OpenSSL's defaults, all AEAD; no compression (CRIME), no renegotiation.
// With a client CA: client certificates requested, never required (server.h, mutual TLS).
#ifndef TESSERA_HTTP_TLS_CONTEXT_H_
#define TESSERA_HTTP_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "http/client_certificate.h"
#include "http/request.h"
#include "tessera/status.h"

namespace tessera::http {

// A TLS server context serving the certificate chain `cert_file` with the key `key_file` (PEM).
// Reads each file once; the key never leaves OpenSSL. Errors: kInvalidArgument for a file that
// cannot be read or parsed and for a key that does not match the certificate (said in plain
// words, then OpenSSL's reason; never key material), kInternal when OpenSSL refuses the settings.
// With `client_ca` (kept alive by the context's reference to its store): every handshake asks
// for a client certificate without naming a CA and without requiring one, accepts any chain,
// and records OpenSSL's verdict against `client_ca` (PeerCertificate reads it).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(
    const std::string& cert_file, const std::string& key_file, const ClientCa* client_ca = nullptr);

// The client certificate of an established TLS connection: its DER (empty when none was
// presented, or when larger than kMaxClientCertificateBytes) and whether the chain verified
// against the client CA of MakeTlsContext, also on a resumed session.
ClientCertificate PeerCertificate(SSL* ssl);

// The subject of the context's leaf certificate, RFC 2253 style, for the log; "(none)" without
// one.
std::string CertificateSubject(boost::asio::ssl::context& tls);

}  // namespace tessera::http

#endif  // TESSERA_HTTP_TLS_CONTEXT_H_
