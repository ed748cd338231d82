#include "cli/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tessera::cli {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

Status ReadError(std::string_view what, const std::string& path, int err) {
  std::string msg = "cannot read " + std::string(what) + " " + path + ": " + ErrnoText(err);
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  if (err == EACCES || err == EISDIR) return Status::InvalidArgument(std::move(msg));
  return Status::Unavailable(std::move(msg));
}

Status WriteError(const std::string& path, int err) {
  std::string msg = "cannot write " + path + ": " + ErrnoText(err);
  if (err == EEXIST) return Status::AlreadyExists(std::move(msg));
  return Status::Unavailable(std::move(msg));
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the result (close can report a deferred write error).
  int Close() {
    const int rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

}  // namespace

Result<std::string> ReadFileBounded(const std::string& path, std::string_view what,
                                    std::size_t max_bytes) {
  const bool is_stdin = path == "-";
  Fd fd(is_stdin ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ReadError(what, path, errno);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return ReadError(what, path, errno);
  if (S_ISDIR(st.st_mode)) return ReadError(what, path, EISDIR);
  const Status too_large =
      Status::ResourceExhausted("cannot read " + std::string(what) + " " + path + ": larger than " +
                                std::to_string(max_bytes) + " bytes");
  // A regular file announces its size; pipes and stdin are read up to the bound below.
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes) {
    return too_large;
  }
  std::string data;
  char buf[16384];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError(what, path, errno);
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max_bytes) {
      return too_large;
    }
  }
  if (data.empty()) {
    return Status::InvalidArgument("cannot read " + std::string(what) + " " + path +
                                   ": the file is empty");
  }
  return data;
}

Status WriteFileAtomically(const std::string& path, std::string_view data, mode_t mode,
                           bool overwrite) {
  if (!overwrite && PathExists(path)) return WriteError(path, EEXIST);
  std::string tmp = path + ".tmp-XXXXXX";
  // mkstemp creates the file with mode 0600, so a private key is never readable by others, not
  // even for the moment before fchmod.
  Fd fd(mkstemp(tmp.data()));
  if (fd.get() < 0) return WriteError(path, errno);
  auto fail = [&](int err) {
    unlink(tmp.c_str());
    return WriteError(path, err);
  };
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (fchmod(fd.get(), mode) != 0 || fsync(fd.get()) != 0) return fail(errno);
  if (fd.Close() != 0) return fail(errno);
  if (overwrite) {
    if (rename(tmp.c_str(), path.c_str()) != 0) return fail(errno);
    return Status::Ok();
  }
  // link(2) fails with EEXIST if the name appeared meanwhile: no silent overwrite.
  if (link(tmp.c_str(), path.c_str()) != 0) return fail(errno);
  unlink(tmp.c_str());
  return Status::Ok();
}

bool PathExists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace tessera::cli
