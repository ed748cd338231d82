// Client certificates for mutual TLS (RFC 8705): where they come from and whether they chain to
// the client CA. Internal to src/http (the server fills Request::client_certificate with these);
// no Beast or Asio type appears here, so each piece is testable without a socket.
//
// Two sources:
//   - the TLS handshake of an HTTPS listener with a client CA: a certificate is requested, never
//     required, and any chain is accepted at the handshake; whether it verified against the
//     client CA is recorded (Server, tls_context.h);
//   - a TLS-terminating proxy in front: the certificate arrives URL-encoded PEM in a header
//     (nginx's $ssl_client_escaped_cert), honoured only from the trusted proxies' addresses
//     (IpNetwork) and verified against the client CA here, in process (ClientCa::Chains).
//
// Thread safety: IpNetwork and the decoding functions are plain values; a ClientCa may be used
// by any number of threads at once once loaded.
#ifndef TESSERA_HTTP_CLIENT_CERTIFICATE_H_
#define TESSERA_HTTP_CLIENT_CERTIFICATE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/status.h"

// OpenSSL's certificate store, declared so that this header needs no OpenSSL include.
struct x509_store_st;

namespace tessera::http {

// The largest client certificate accepted, DER bytes; the forwarded header may be at most
// kMaxForwardedCertificateBytes (URL-encoding triples the PEM's size at worst).
inline constexpr std::size_t kMaxClientCertificateBytes = 16 * 1024;
inline constexpr std::size_t kMaxForwardedCertificateBytes = 64 * 1024;

// An IPv4 or IPv6 network, "10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 or a /128.
struct IpNetwork {
  bool v6 = false;
  std::array<unsigned char, 16> address{};  // the first 4 bytes for IPv4
  int prefix = 0;                           // bits: 0..32 (IPv4), 0..128 (IPv6)

  // Whether `address` (text, as Request::remote_address spells it) lies in this network. An
  // IPv4-mapped IPv6 address ("::ffff:10.1.2.3", what a dual-stack listener reports) counts as
  // its IPv4 address. Anything that is not an IP address is in no network.
  bool Contains(std::string_view address) const;
};

// Parses "ADDRESS[/PREFIX]". kInvalidArgument, naming the text, for a bad address, a prefix out
// of range, or host bits set beyond the prefix ("10.0.0.1/8": write 10.0.0.0/8), which is
// refused as the likely typo it is rather than silently widened.
Result<IpNetwork> ParseIpNetwork(std::string_view text);

// Whether `address` lies in any of `networks`.
bool InAnyNetwork(const std::vector<IpNetwork>& networks, std::string_view address);

// The DER of the certificate in a forwarded-certificate header value: URL-encoded PEM, as
// nginx's $ssl_client_escaped_cert writes it. Strict:
//   - at most kMaxForwardedCertificateBytes; %XX escapes must be complete and hexadecimal (a '+'
//     stays '+': this is URI escaping, not a form);
//   - exactly one "CERTIFICATE" PEM block, with nothing but whitespace around it (a second
//     block, a key, or other text is refused: the proxy forwards the leaf alone);
//   - the base64 inside is strict (the standard alphabet, padding only at the end, line breaks
//     allowed) and decodes to one DER X.509 certificate of at most kMaxClientCertificateBytes
//     with no trailing bytes.
// kInvalidArgument saying which rule failed; the value itself is never quoted.
// An empty value (nginx sends "" when the client presented no certificate) is kNotFound.
Result<std::string> DecodeForwardedCertificate(std::string_view value);

// The client CA of tls_client_auth: the trust anchors that a client certificate must chain to.
class ClientCa {
 public:
  // Reads a PEM file of one or more CA certificates. kInvalidArgument naming the file for an
  // unreadable file or one without a certificate (with OpenSSL's reason).
  static Result<std::shared_ptr<const ClientCa>> Load(const std::string& pem_file);
  ~ClientCa();
  ClientCa(const ClientCa&) = delete;
  ClientCa& operator=(const ClientCa&) = delete;

  // Whether the certificate `der` chains to one of the CA certificates, with `intermediates`
  // (DER) as untrusted helpers, at time `now` (seconds since the epoch), for the purpose
  // "TLS client" (RFC 5280 6.1, with the extended key usage checks of OpenSSL's "ssl_client").
  // False for anything that does not verify, unparsable input included.
  bool Chains(std::string_view der, const std::vector<std::string>& intermediates,
              int64_t now) const;

  // The store the TLS handshake verifies against (shared, so both paths trust the same CAs).
  x509_store_st* store() const { return store_; }
  const std::string& file() const { return file_; }

 private:
  ClientCa(x509_store_st* store, std::string file);
  x509_store_st* store_;  // owned
  std::string file_;
};

}  // namespace tessera::http

#endif  // TESSERA_HTTP_CLIENT_CERTIFICATE_H_
