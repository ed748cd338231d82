#include "jose/openssl_util.h"

#include <openssl/err.h>

namespace tessera::jose {

std::string TakeOpenSslError() {
  std::string text;
  if (unsigned long code = ERR_get_error(); code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text;
}

Status OpenSslFailure(JoseError e, std::string_view context) {
  std::string detail(context);
  if (std::string reason = TakeOpenSslError(); !reason.empty()) {
    detail += " (";
    detail += reason;
    detail += ")";
  }
  return JoseFailure(e, detail);
}

void ClearOpenSslErrors() { ERR_clear_error(); }

BioPtr MemBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string BioContents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

}  // namespace tessera::jose
