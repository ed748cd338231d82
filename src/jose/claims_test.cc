// Time and audience rules (docs/security.md: time, audience, limits), with `now` passed in.
#include "jose/claims.h"

#include <gtest/gtest.h>

#include "jose/error.h"

namespace tessera::jose {
namespace {

constexpr int64_t kNow = 1'800'000'000;

JoseError Times(const Json& claims, int64_t skew = 30, int64_t max_lifetime = 3600) {
  TimeRules r;
  r.now = kNow;
  r.skew = skew;
  r.max_lifetime = max_lifetime;
  return JoseErrorOf(CheckTimes(claims, r));
}

JoseError Aud(const Json& claims,
              const std::vector<std::string>& accepted = {"https://as.example.com"}) {
  return JoseErrorOf(CheckAudience(claims, accepted));
}

TEST(AttacksTest, G1_ExpiredAndItsBoundary) {
  // Accept iff now < exp + skew (RFC 7519 4.1.4).
  EXPECT_EQ(Times({{"exp", kNow - 30 - 1}}), JoseError::kExpired);
  EXPECT_EQ(Times({{"exp", kNow - 30}}), JoseError::kExpired);
  EXPECT_EQ(Times({{"exp", kNow - 29}}), JoseError::kNone);
  EXPECT_EQ(Times({{"exp", kNow + 1}}), JoseError::kNone);
  EXPECT_EQ(Times({{"exp", kNow}}, /*skew=*/0), JoseError::kExpired);
  EXPECT_EQ(Times({{"exp", kNow + 1}}, /*skew=*/0), JoseError::kNone);
}

TEST(AttacksTest, G2_NotYetValidAndItsBoundary) {
  // Accept iff nbf <= now + skew (RFC 7519 4.1.5).
  EXPECT_EQ(Times({{"exp", kNow + 600}, {"nbf", kNow + 30 + 1}}), JoseError::kNotYetValid);
  EXPECT_EQ(Times({{"exp", kNow + 600}, {"nbf", kNow + 30}}), JoseError::kNone);
  EXPECT_EQ(Times({{"exp", kNow + 600}, {"nbf", kNow - 600}}), JoseError::kNone);
}

TEST(AttacksTest, G3_IssuedInTheFuture) {
  EXPECT_EQ(Times({{"exp", kNow + 7200}, {"iat", kNow + 3600}}, 30, 0), JoseError::kIssuedInFuture);
  EXPECT_EQ(Times({{"exp", kNow + 600}, {"iat", kNow + 31}}), JoseError::kIssuedInFuture);
  EXPECT_EQ(Times({{"exp", kNow + 600}, {"iat", kNow + 30}}), JoseError::kNone);
}

TEST(AttacksTest, G4_LifetimeTooLong) {
  EXPECT_EQ(Times({{"exp", kNow + 60}, {"iat", kNow - 30 * 86400}}), JoseError::kLifetimeTooLong);
  EXPECT_EQ(Times({{"exp", kNow + 10LL * 365 * 86400}}), JoseError::kLifetimeTooLong);
  EXPECT_EQ(Times({{"exp", kNow + 3600}, {"iat", kNow}}), JoseError::kNone);
  EXPECT_EQ(Times({{"exp", kNow + 3601}, {"iat", kNow}}), JoseError::kLifetimeTooLong);
  EXPECT_EQ(Times({{"exp", kNow + 3601}}), JoseError::kLifetimeTooLong);  // exp - now without iat
  EXPECT_EQ(Times({{"exp", kNow + 10LL * 365 * 86400}}, 30, /*max_lifetime=*/0), JoseError::kNone);
}

TEST(AttacksTest, G5_InconsistentTimes) {
  EXPECT_EQ(Times({{"exp", kNow + 10}, {"iat", kNow + 20}}), JoseError::kTimesInconsistent);
  EXPECT_EQ(Times({{"exp", kNow + 10}, {"nbf", kNow + 20}}), JoseError::kTimesInconsistent);
}

TEST(AttacksTest, G_ExpRequired) {
  EXPECT_EQ(Times(Json::object()), JoseError::kClaimMissing);
  TimeRules r;
  r.now = kNow;
  r.require_exp = false;
  EXPECT_TRUE(CheckTimes(Json::object(), r).ok());
}

TEST(AttacksTest, E12_ExpAsStringOrMilliseconds) {
  EXPECT_EQ(Times({{"exp", std::to_string(kNow + 60)}}), JoseError::kClaimType);
  EXPECT_EQ(Times({{"exp", (kNow + 60) * 1000}}), JoseError::kClaimMilliseconds);
  EXPECT_EQ(Times({{"exp", true}}), JoseError::kClaimType);
  EXPECT_EQ(Times({{"exp", nullptr}}), JoseError::kClaimType);
  EXPECT_EQ(Times({{"exp", -1}}), JoseError::kClaimType);
  EXPECT_EQ(Times({{"exp", 9223372036854775808ULL}}), JoseError::kClaimMilliseconds);
  EXPECT_EQ(Times({{"exp", 1.7e31}}), JoseError::kClaimType);
  EXPECT_EQ(Times({{"iat", "1800000000"}, {"exp", kNow + 60}}), JoseError::kClaimType);
  EXPECT_EQ(Times({{"nbf", kNow * 1000}, {"exp", kNow + 60}}), JoseError::kClaimMilliseconds);
  // A non-integer NumericDate is legal (RFC 7519 2) and rounds down.
  EXPECT_EQ(Times({{"exp", static_cast<double>(kNow) + 10.5}}), JoseError::kNone);
  Result<std::optional<int64_t>> v = NumericDateClaim({{"exp", 1.7e9}}, "exp");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(**v, 1'700'000'000);
  EXPECT_FALSE(NumericDateClaim(Json::object(), "exp").value().has_value());
}

TEST(AttacksTest, F6_AudienceMissingWrongOrSubstring) {
  EXPECT_EQ(Aud({{"aud", "https://as.example.com"}}), JoseError::kNone);
  for (const char* bad :
       {"https://other-as.example", "https://as.example.com.evil", "https://as.example.com/",
        "https://as.example.com/token/", "HTTPS://AS.EXAMPLE.COM", "", "https://as.example.co",
        "as.example.com"}) {
    EXPECT_EQ(Aud({{"aud", bad}}), JoseError::kAudienceMismatch) << bad;
  }
  EXPECT_EQ(Aud({{"aud", Json::array()}}), JoseError::kAudienceMismatch);
  EXPECT_EQ(Aud(Json::object()), JoseError::kClaimMissing);
  EXPECT_EQ(Aud({{"aud", 1}}), JoseError::kClaimType);
  EXPECT_EQ(Aud({{"aud", {"https://as.example.com", 2}}}), JoseError::kClaimType);
  EXPECT_EQ(Aud({{"aud", {{"x", "https://as.example.com"}}}}), JoseError::kClaimType);
}

TEST(AttacksTest, F7_AudienceArrays) {
  // The library matches any entry (RFC 7519 4.1.3); the "sole value" rule of rfc7523bis is the
  // server's policy on top of this.
  EXPECT_EQ(Aud({{"aud", {"https://as.example.com"}}}), JoseError::kNone);
  EXPECT_EQ(Aud({{"aud", {"https://attacker.example", "https://as.example.com"}}}),
            JoseError::kNone);
  EXPECT_EQ(Aud({{"aud", {"https://attacker.example", "https://as.example.com/"}}}),
            JoseError::kAudienceMismatch);
  EXPECT_EQ(Aud({{"aud", "https://as.example.com/token"}},
                {"https://as.example.com", "https://as.example.com/token"}),
            JoseError::kNone);
}

TEST(ClaimsTest, StringClaim) {
  EXPECT_EQ(StringClaim({{"iss", "c"}}, "iss").value(), "c");
  EXPECT_FALSE(StringClaim(Json::object(), "iss").value().has_value());
  EXPECT_EQ(JoseErrorOf(StringClaim({{"iss", 1}}, "iss").status()), JoseError::kClaimType);
  EXPECT_EQ(JoseErrorOf(StringClaim({{"jti", std::string(257, 'j')}}, "jti", 256).status()),
            JoseError::kClaimTooLong);
  EXPECT_EQ(FormatNumericDate(0), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace tessera::jose
