// File input and output for the command line: bounded reads and atomic writes with a chosen mode.
//
// Every failure is a Status whose message is one line naming the file and the reason, e.g.
// "cannot read key file x.pem: No such file or directory", ready for `tessera: <message>`.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(std::string pem, ReadFileBounded(path, "key file"));
//   TESSERA_RETURN_IF_ERROR(WriteFileAtomically(dir + "/a.key.pem", pem, 0600, false));
#ifndef TESSERA_CLI_FILES_H_
#define TESSERA_CLI_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::cli {

// Key material, certificates, JWKS and tokens are all far below this.
inline constexpr std::size_t kMaxInputBytes = 1 << 20;

// The whole content of `path` ("-" means standard input). `what` names the file for messages
// ("key file", "certificate"). Fails with kNotFound (missing), kInvalidArgument (a directory,
// empty), kResourceExhausted (more than `max_bytes`), kUnavailable (other I/O errors).
Result<std::string> ReadFileBounded(const std::string& path, std::string_view what,
                                    std::size_t max_bytes = kMaxInputBytes);

// Writes `data` to `path` with permission bits `mode` (exactly, whatever the umask), atomically:
// the data goes to a temporary file in the same directory, which then takes the final name, so
// a reader never sees a partial file. Without `overwrite`, fails with kAlreadyExists when `path`
// exists (checked atomically by link(2)).
Status WriteFileAtomically(const std::string& path, std::string_view data, mode_t mode,
                           bool overwrite);

// True if something exists at `path`.
bool PathExists(const std::string& path);

}  // namespace tessera::cli

#endif  // TESSERA_CLI_FILES_H_
