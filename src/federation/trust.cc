#include "federation/trust.h"

#include <algorithm>
#include <cctype>

#include "jose/keyio.h"

namespace tessera::federation {
namespace {

constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxIssuerBytes = 1024;
constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kMaxValueBytes = 1024;
constexpr std::size_t kMaxCertificateBytes = 64 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool PrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

// A dotted-quad IPv4 address whose first octet is 127 (RFC 1122 3.2.1.3: all of 127/8 is
// loopback). Only the canonical form: no octal, hex or shortened forms that resolvers disagree on.
bool IsIpv4Loopback(std::string_view host) {
  int octets = 0;
  int first = -1;
  std::size_t i = 0;
  while (i <= host.size()) {
    std::size_t j = i;
    int value = 0;
    while (j < host.size() && std::isdigit(static_cast<unsigned char>(host[j]))) {
      value = value * 10 + (host[j] - '0');
      if (value > 255 || j - i >= 3) return false;
      ++j;
    }
    if (j == i || (j - i > 1 && host[i] == '0')) return false;
    if (first < 0) first = value;
    ++octets;
    if (j == host.size()) break;
    if (host[j] != '.') return false;
    i = j + 1;
  }
  return octets == 4 && first == 127;
}

bool IsLoopbackHost(std::string_view host) {
  const std::string h = Lower(host);
  return h == "localhost" || h == "[::1]" || IsIpv4Loopback(h);
}

// The host of a URL that passes CheckKeyUrl's rules, else the refusal.
Result<std::string> ParseKeyUrl(std::string_view url);

Status FieldError(std::string_view field, const std::string& what) {
  return Status::InvalidArgument(std::string(field) + ": " + what);
}

Status CheckList(std::string_view field, const std::vector<std::string>& values,
                 bool allow_spaces) {
  if (values.size() > kMaxTrustListEntries) {
    return FieldError(field, "at most " + std::to_string(kMaxTrustListEntries) + " values");
  }
  for (const std::string& v : values) {
    if (v.empty() || v.size() > kMaxValueBytes) {
      return FieldError(field,
                        "every value must be 1 to " + std::to_string(kMaxValueBytes) + " bytes");
    }
    if (!allow_spaces && v.find_first_of(" \t\r\n") != std::string::npos) {
      return FieldError(field, "a value must not contain spaces: \"" + v.substr(0, 64) + "\"");
    }
  }
  return Status::Ok();
}

// The shared CI and identity providers: one issuer for all their customers' tokens. (Providers
// whose issuer URL names the customer's organisation, such as CircleCI, are not shared.)
constexpr std::string_view kSharedIssuers[] = {
    "https://token.actions.githubusercontent.com",
    "https://vstoken.actions.githubusercontent.com",
    "https://gitlab.com",
    "https://accounts.google.com",
    "https://app.terraform.io",
    "https://agent.buildkite.com",
};

}  // namespace

std::string_view SubjectMappingAttributeName(SubjectMappingAttribute a) {
  switch (a) {
    case SubjectMappingAttribute::kUserName:
      return "userName";
    case SubjectMappingAttribute::kEmail:
      return "email";
    case SubjectMappingAttribute::kId:
      return "id";
  }
  return "userName";  // not reached
}

std::optional<SubjectMappingAttribute> SubjectMappingAttributeFromName(std::string_view name) {
  if (name == "userName") return SubjectMappingAttribute::kUserName;
  if (name == "email") return SubjectMappingAttribute::kEmail;
  if (name == "id") return SubjectMappingAttribute::kId;
  return std::nullopt;
}

std::string_view SubjectTypeName(SubjectType t) {
  switch (t) {
    case SubjectType::kUser:
      return "User";
    case SubjectType::kApp:
      return "App";
  }
  return "User";  // not reached
}

std::optional<SubjectType> SubjectTypeFromName(std::string_view name) {
  if (name == "User") return SubjectType::kUser;
  if (name == "App") return SubjectType::kApp;
  return std::nullopt;
}

std::string_view JtiPolicyName(JtiPolicy p) {
  switch (p) {
    case JtiPolicy::kRequired:
      return "required";
    case JtiPolicy::kReuseUntilExp:
      return "reuse-until-exp";
  }
  return "required";  // not reached
}

std::optional<JtiPolicy> JtiPolicyFromName(std::string_view name) {
  if (name == "required") return JtiPolicy::kRequired;
  if (name == "reuse-until-exp") return JtiPolicy::kReuseUntilExp;
  return std::nullopt;
}

Status CheckKeyUrl(std::string_view url) { return ParseKeyUrl(url).status(); }

bool IsLoopbackUrl(std::string_view url) {
  Result<std::string> host = ParseKeyUrl(url);
  return host.ok() && IsLoopbackHost(*host);
}

namespace {

Result<std::string> ParseKeyUrl(std::string_view url) {
  if (url.size() > kMaxUrlBytes) {
    return Status::InvalidArgument("URL longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  }
  if (!PrintableAscii(url)) {
    return Status::InvalidArgument("URL must be printable ASCII without spaces");
  }
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Status::InvalidArgument("must be an https:// URL, not \"" +
                                   std::string(url.substr(0, 64)) + "\"");
  }
  const std::string scheme = Lower(url.substr(0, sep));
  if (scheme != "https" && scheme != "http") {
    return Status::InvalidArgument("must be an https:// URL, not " + scheme + "://");
  }
  if (url.find('#') != std::string_view::npos) {
    return Status::InvalidArgument("URL must not have a fragment");
  }
  std::string_view rest = url.substr(sep + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("URL must not carry credentials (user@host)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("URL has a bad IPv6 host");
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
  } else if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    port = host.substr(colon);
    host = host.substr(0, colon);
  }
  if (host.empty() || host == "[]") return Status::InvalidArgument("URL has no host");
  if (!port.empty()) {
    if (port.front() != ':' || port.size() < 2 || port.size() > 6 ||
        !std::all_of(port.begin() + 1, port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        std::stoi(std::string(port.substr(1))) > 65535) {
      return Status::InvalidArgument("URL has a bad port");
    }
  }
  // Keys decide which tokens verify: they travel over TLS, except to this very machine, where
  // tests and sidecars (a local SPIFFE or Kubernetes endpoint) serve them in the clear.
  if (scheme == "http" && !IsLoopbackHost(host)) {
    return Status::InvalidArgument(
        "must be an https:// URL (http:// only on a loopback address: 127.0.0.0/8, [::1], "
        "localhost), not http://" +
        std::string(host));
  }
  return std::string(host);
}

}  // namespace

bool IsSharedIssuer(std::string_view issuer) {
  std::string_view trimmed = issuer;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  const std::string lower = Lower(trimmed);
  for (std::string_view shared : kSharedIssuers) {
    if (lower == shared) return true;
  }
  return false;
}

Status ValidateTrust(const Trust& t) {
  if (t.name.empty() || t.name.size() > kMaxNameBytes) {
    return FieldError("name", "1 to " + std::to_string(kMaxNameBytes) + " bytes");
  }
  if (t.type != "JWT") {
    return FieldError("type", "must be \"JWT\", not \"" + t.type.substr(0, 32) + "\"");
  }
  if (t.issuer.empty() || t.issuer.size() > kMaxIssuerBytes || !PrintableAscii(t.issuer)) {
    return FieldError("issuer", "1 to " + std::to_string(kMaxIssuerBytes) +
                                    " bytes of printable ASCII without spaces");
  }

  if (!t.public_key_endpoint.empty() && !t.public_certificate.empty()) {
    return FieldError("publicKeyEndpoint",
                      "give either publicKeyEndpoint or publicCertificate, not both");
  }
  if (!t.public_key_endpoint.empty()) {
    if (Status s = CheckKeyUrl(t.public_key_endpoint); !s.ok()) {
      return FieldError("publicKeyEndpoint", s.message());
    }
  } else if (!t.public_certificate.empty()) {
    if (t.public_certificate.size() > kMaxCertificateBytes) {
      return FieldError("publicCertificate",
                        "larger than " + std::to_string(kMaxCertificateBytes) + " bytes");
    }
    Result<jose::Certificate> cert = jose::LoadCertificate(t.public_certificate);
    if (!cert.ok()) {
      return FieldError("publicCertificate",
                        "a PEM or base64 DER X.509 certificate with an RSA (2048 bits or more), "
                        "P-256/384/521 or Ed25519 key: " +
                            cert.status().message());
    }
  } else if (Status s = CheckKeyUrl(t.issuer); !s.ok()) {
    // Discovery fetches <issuer>/.well-known/openid-configuration: the issuer is that URL's base.
    return FieldError("publicKeyEndpoint",
                      "required (or publicCertificate) unless the issuer is an https:// URL "
                      "serving /.well-known/openid-configuration; the issuer: " +
                          s.message());
  }

  if (Status s = ValidateClaimPath(t.subject_claim_name); !s.ok()) {
    return FieldError("subjectClaimName", s.message());
  }
  if (t.client_claim_name.empty()) {
    if (!t.client_claim_values.empty()) {
      return FieldError("clientClaimValues", "requires clientClaimName");
    }
  } else {
    if (Status s = ValidateClaimPath(t.client_claim_name); !s.ok()) {
      return FieldError("clientClaimName", s.message());
    }
    if (t.client_claim_values.empty()) {
      return FieldError("clientClaimValues", "at least one value when clientClaimName is set");
    }
    TESSERA_RETURN_IF_ERROR(CheckList("clientClaimValues", t.client_claim_values, true));
  }
  if (t.subject_type == SubjectType::kApp && t.client_claim_name.empty()) {
    return FieldError("clientClaimName",
                      "required for subjectType App: its value names the client");
  }
  TESSERA_RETURN_IF_ERROR(CheckList("oauthClients", t.oauth_clients, false));
  if (t.subject_type == SubjectType::kUser && t.oauth_clients.empty()) {
    return FieldError("oauthClients",
                      "at least one client id: the apps that may present this trust's tokens");
  }

  if (!t.allow_impersonation && !t.impersonation_service_users.empty()) {
    return FieldError("impersonationServiceUsers",
                      "requires allowImpersonation true (or remove the rules)");
  }
  if (t.allow_impersonation) {
    if (t.subject_type != SubjectType::kUser) {
      return FieldError("allowImpersonation", "only for subjectType User");
    }
    if (t.impersonation_service_users.empty()) {
      return FieldError("impersonationServiceUsers",
                        "at least one {\"rule\":..,\"value\":<user id>} when allowImpersonation "
                        "is true");
    }
    if (t.impersonation_service_users.size() > kMaxTrustListEntries) {
      return FieldError("impersonationServiceUsers",
                        "at most " + std::to_string(kMaxTrustListEntries) + " entries");
    }
    for (std::size_t i = 0; i < t.impersonation_service_users.size(); ++i) {
      const ImpersonationServiceUser& u = t.impersonation_service_users[i];
      const std::string field = "impersonationServiceUsers[" + std::to_string(i) + "]";
      if (Result<ImpersonationRule> r = ParseImpersonationRule(u.rule); !r.ok()) {
        return FieldError(field + ".rule",
                          r.status().message() + " (expected claim eq \"value\" joined by and)");
      }
      if (u.value.empty() || u.value.size() > kMaxValueBytes) {
        return FieldError(field + ".value", "the service user's id, 1 to " +
                                                std::to_string(kMaxValueBytes) + " bytes");
      }
    }
  }

  if (t.clock_skew_seconds < 0 || t.clock_skew_seconds > kMaxClockSkewSeconds) {
    return FieldError("clockSkewSeconds",
                      "0 to " + std::to_string(kMaxClockSkewSeconds) + " seconds");
  }
  if (t.audiences.empty()) {
    return FieldError("audiences",
                      "at least one accepted \"aud\" value (this domain's issuer, for example)");
  }
  TESSERA_RETURN_IF_ERROR(CheckList("audiences", t.audiences, false));
  if (t.conditions.size() > kMaxTrustListEntries) {
    return FieldError("conditions",
                      "at most " + std::to_string(kMaxTrustListEntries) + " conditions");
  }
  for (std::size_t i = 0; i < t.conditions.size(); ++i) {
    TESSERA_RETURN_IF_ERROR(
        ValidateCondition(t.conditions[i], "conditions[" + std::to_string(i) + "]"));
  }
  TESSERA_RETURN_IF_ERROR(CheckList("allowedScopes", t.allowed_scopes, false));
  if (t.max_token_lifetime && (*t.max_token_lifetime < kMinTokenLifetimeSeconds ||
                               *t.max_token_lifetime > kMaxTokenLifetimeSeconds)) {
    return FieldError("maxTokenLifetime", std::to_string(kMinTokenLifetimeSeconds) + " to " +
                                              std::to_string(kMaxTokenLifetimeSeconds) +
                                              " seconds");
  }
  return Status::Ok();
}

std::vector<std::string> TrustWarnings(const Trust& t) {
  std::vector<std::string> out;
  if (IsSharedIssuer(t.issuer) && t.conditions.empty() && t.client_claim_values.empty()) {
    out.push_back("conditions: none, but " + t.issuer +
                  " issues tokens to anyone who uses it; every one of them could present a "
                  "token to this trust. Add conditions on the claims that name your "
                  "organisation (repository, project_path, ...).");
  }
  if (t.max_token_lifetime && *t.max_token_lifetime > kLongTokenLifetimeSeconds) {
    out.push_back("maxTokenLifetime: " + std::to_string(*t.max_token_lifetime) +
                  " seconds is over a day; tokens still never outlive the outside token.");
  }
  if (t.jti == JtiPolicy::kReuseUntilExp) {
    out.push_back(
        "jti: reuse-until-exp lets the same outside token be exchanged again until it "
        "expires; a copied token is as good as the original until then.");
  }
  return out;
}

}  // namespace tessera::federation
