// Matching a client certificate for RFC 8705 section 2.1 (tls_client_auth): the app's
// tlsClientAuthSubjectDn against the certificate's subject, and its tlsClientAuthSanDns against
// the certificate's dNSName subjectAltName entries. Whether the certificate chains to the client
// CA is decided by the transport (http::ClientCertificate::chained); this is the comparison alone.
//
// Subject DN (RFC 8705 2.1.2 "tls_client_auth_subject_dn": "the expected subject distinguished
// name of the certificate, in [RFC4514] string representation"). Both the configured string and
// the certificate's subject become a sequence of RDNs, most specific first (RFC 4514 order: the
// reverse of the certificate's ASN.1 order, so "CN=client,O=Example,C=US"), each RDN a set of
// (attribute type, value) compared as sets (a multi-valued "CN=a+UID=b" equals "UID=b+CN=a").
// Normalisation:
//   - attribute types: short name, long name or dotted OID, case-insensitive ("cn", "CN",
//     "commonName" and "2.5.4.3" are one type); an unknown name never matches;
//   - values: RFC 4514 2.4 escapes resolved ("\,", "\+", "\\", "\2C", ...), then leading and
//     trailing spaces dropped, inner runs of spaces made one, and ASCII letters compared without
//     case (the caseIgnoreMatch of RFC 4517 for ASCII; other characters compared as their UTF-8
//     bytes);
//   - spaces around ',' '+' and '=' are ignored, so "CN=client, O=Example" is accepted;
//   - the "#<hex>" BER form is not supported: such a configured DN matches nothing.
// The RDN order matters: "C=US,O=Example,CN=client" (OpenSSL's oneline order) does not match a
// certificate whose RFC 4514 subject is "CN=client,O=Example,C=US".
//
// SAN DNS (RFC 8705 2.1.2 "tls_client_auth_san_dns"): equal to one dNSName entry, ASCII case
// ignored and one trailing dot dropped on both sides; no wildcard expansion (a certificate for
// "*.example.com" matches only the configured string "*.example.com").
//
// Thread safety: pure functions.
#ifndef TESSERA_OAUTH_TLS_CLIENT_AUTH_H_
#define TESSERA_OAUTH_TLS_CLIENT_AUTH_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/status.h"

namespace tessera::oauth {

// One RDN: (dotted OID, normalised value) pairs, sorted.
using Rdn = std::vector<std::pair<std::string, std::string>>;
// RDNs, most specific first (RFC 4514 order).
using DistinguishedName = std::vector<Rdn>;

// Parses an RFC 4514 string, normalised as above. kInvalidArgument saying what is wrong (an
// unknown attribute type, a bad escape, a missing '=', the '#' form, more than 64 RDNs or 4 KiB).
Result<DistinguishedName> ParseDistinguishedName(std::string_view rfc4514);

// The subject of the DER certificate, normalised the same way. kInvalidArgument for input that
// is not a certificate.
Result<DistinguishedName> CertificateSubject(std::string_view der);

// The certificate's subject as RFC 4514 text, for logs and error details ("(unreadable)" when
// it cannot be printed).
std::string CertificateSubjectText(std::string_view der);

// Whether the certificate's subject equals the configured RFC 4514 DN. False for a configured DN
// that does not parse and for input that is not a certificate.
bool SubjectDnMatches(std::string_view configured, std::string_view der);

// Whether one of the certificate's dNSName subjectAltName entries equals `configured`.
bool SanDnsMatches(std::string_view configured, std::string_view der);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_TLS_CLIENT_AUTH_H_
