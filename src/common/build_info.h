// What this build of Tessera is: the release version (CMake's project(VERSION), semver) and
// the git revision it was built from ("unknown" when built outside a git checkout).
//
// Thread safety: constant data.
#ifndef TESSERA_COMMON_BUILD_INFO_H_
#define TESSERA_COMMON_BUILD_INFO_H_

#include <string>
#include <string_view>

namespace tessera {

// "0.1.0"
std::string_view BuildVersion();
// "1e4d4c6a9b2f" (12 hex digits) or "unknown".
std::string_view BuildRevision();

// "tessera 0.1.0 (1e4d4c6a9b2f)": what `tessera --version` prints.
inline std::string BuildVersionLine() {
  return "tessera " + std::string(BuildVersion()) + " (" + std::string(BuildRevision()) + ")";
}

}  // namespace tessera

#endif  // TESSERA_COMMON_BUILD_INFO_H_
