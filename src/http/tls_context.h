// The server's TLS context (internal to src/http): the one place that builds it, for
// Server::Start and Server::ReloadTls alike, so a reload can never weaken the protocol versions
// or ciphers.
//
// Settings: TLS 1.2 and 1.3 only (TLS 1.0 and 1.1 are deprecated, RFC 8996); for TLS 1.2 the
// ECDHE AEAD suites of Mozilla's "intermediate" list, the server's order preferred; TLS 1.3
// suites are OpenSSL's defaults, all AEAD; no compression (CRIME), no renegotiation.
#ifndef TESSERA_HTTP_TLS_CONTEXT_H_
#define TESSERA_HTTP_TLS_CONTEXT_H_

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "tessera/status.h"

namespace tessera::http {

// A TLS server context serving the certificate chain `cert_file` with the key `key_file` (PEM).
// Reads each file once; the key never leaves OpenSSL. Errors: kInvalidArgument for a file that
// cannot be read or parsed and for a key that does not match the certificate (said in plain
// words, then OpenSSL's reason; never key material), kInternal when OpenSSL refuses the settings.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const std::string& cert_file,
                                                                  const std::string& key_file);

// The subject of the context's leaf certificate, RFC 2253 style, for the log; "(none)" without
// one.
std::string CertificateSubject(boost::asio::ssl::context& tls);

}  // namespace tessera::http

#endif  // TESSERA_HTTP_TLS_CONTEXT_H_
