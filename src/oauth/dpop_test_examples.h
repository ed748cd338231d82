// The published DPoP examples of RFC 9449, shared by the DPoP tests. Each signature verifies with
// the example key; any wrong byte makes the tests that use them fail.
#ifndef TESSERA_OAUTH_DPOP_TEST_EXAMPLES_H_
#define TESSERA_OAUTH_DPOP_TEST_EXAMPLES_H_

#include <cstdint>
#include <string_view>

namespace tessera::oauth::testing {

// RFC 9449 section 4.1: a proof for the token endpoint (ES256, P-256 key in the header).
inline constexpr std::string_view kTokenRequestProof =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
    ".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbG"
    "UuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ"
    ".2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
inline constexpr std::string_view kTokenRequestUrl = "https://server.example.com/token";
inline constexpr std::string_view kTokenRequestJti = "-BwC3ESc6acc2lTc";
inline constexpr int64_t kTokenRequestIat = 1562262616;

// RFC 9449 section 6.1: the thumbprint of that key, the "cnf.jkt" of the tokens it gets.
inline constexpr std::string_view kJkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

// RFC 9449 section 7.1: the access token and the proof that accompanies it to a resource.
inline constexpr std::string_view kAccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
inline constexpr std::string_view kResourceProof =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
    ".eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcG"
    "xlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05y"
    "V0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9"
    ".2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
inline constexpr std::string_view kResourceUrl = "https://resource.example.org/protectedresource";
inline constexpr int64_t kResourceIat = 1562262618;

}  // namespace tessera::oauth::testing

#endif  // TESSERA_OAUTH_DPOP_TEST_EXAMPLES_H_
