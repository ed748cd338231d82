// DomainConfig: the identity domain's policy knobs, with the contract's defaults.
#ifndef TESSERA_OAUTH_CONFIG_H_
#define TESSERA_OAUTH_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::oauth {

inline constexpr char kGrantClientCredentials[] = "client_credentials";
inline constexpr char kGrantJwtBearer[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
inline constexpr char kGrantTokenExchange[] = "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr char kClientAssertionTypeJwt[] =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
inline constexpr char kScopeMyScopes[] = "urn:opc:idm:__myscopes__";
inline constexpr char kScopeExpiryPrefix[] = "urn:opc:resource:expiry=";
inline constexpr char kOracleAudience[] = "https://identity.oraclecloud.com/";
inline constexpr int64_t kMinTokenLifetime = 60;
inline constexpr int64_t kMaxTokenLifetime = 31556952;  // contract section 4

// assertion_audience (contract section 10): which "aud" values an assertion may carry.
//   kCompat: contract section 2 rule 5 (the IDCS audiences, plus extras), the default;
//   kStrict: RFC 10070 (formerly draft-ietf-oauth-rfc7523bis): a client assertion's aud is the
//     issuer identifier as its sole value (a string, or an array of exactly that one value); a
//     grant assertion's aud holds only the issuer identifier and/or the token endpoint URL.
enum class AssertionAudience { kCompat, kStrict };

struct DomainConfig {
  std::string issuer = "http://127.0.0.1:8080";  // "iss" of every token minted; no trailing slash
  std::vector<std::string> extra_audiences;  // accepted assertion audiences besides the defaults
  bool accept_default_audiences = true;      // issuer, token endpoint, identity.oraclecloud.com
  int64_t clock_skew = 30;
  int64_t max_assertion_lifetime = 3600;
  int64_t default_token_lifetime = 3600;
  int64_t trust_token_lifetime = 14400;
  int64_t cache_ttl_seconds = 5;  // staleness bound of per-node caches
  AssertionAudience assertion_audience = AssertionAudience::kCompat;

  std::string TokenEndpoint() const { return issuer + "/oauth2/v1/token"; }

  // Contract section 2 rule 5: the issuer URL (with or without trailing slash), the token
  // endpoint URL, and https://identity.oraclecloud.com/ (with or without slash), plus extras.
  std::vector<std::string> AcceptedAudiences() const {
    std::vector<std::string> out;
    if (accept_default_audiences) {
      out = {issuer, issuer + "/", TokenEndpoint(), kOracleAudience,
             "https://identity.oraclecloud.com"};
    }
    out.insert(out.end(), extra_audiences.begin(), extra_audiences.end());
    return out;
  }
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_CONFIG_H_
