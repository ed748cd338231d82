// AdminClient: the admin API (contract section 6) from the command line.
//
// It obtains an administrator token once (client_credentials with scope
// urn:opc:idm:__myscopes__, Basic credentials URL-encoded as RFC 6749 2.3.1 asks) and sends JSON
// requests with it. A non-2xx answer becomes a Status whose one-line message carries the server's
// SCIM "detail" (or OAuth "error_description").
#ifndef TESSERA_CLI_ADMIN_CLIENT_H_
#define TESSERA_CLI_ADMIN_CLIENT_H_

#include <string>

#include "jose/json.h"
#include "tessera/status.h"

namespace tessera::cli {

// Every request AdminClient sends carries X-Request-Id "tessera-admin-<random>", which the server
// takes as the request's ecid: the audit trail tells the CLI's own token requests from others.
inline constexpr char kAdminRequestIdPrefix[] = "tessera-admin-";

// Percent-encodes every byte outside the RFC 3986 unreserved set.
std::string UrlEncodeComponent(std::string_view s);

// "Basic " + base64(urlencode(id) ":" urlencode(secret)).
std::string BasicAuthorization(const std::string& client_id, const std::string& client_secret);

// One line out of an error body: SCIM "detail", OAuth "error: error_description", or the text.
std::string ErrorSummary(long status, const std::string& body);

class AdminClient {
 public:
  AdminClient(std::string base_url, std::string client_id, std::string client_secret);

  // `path` starts with "/admin/v1/". `body` is sent as JSON unless null. Returns the JSON answer
  // (null for an empty one).
  Result<jose::Json> Send(const std::string& method, const std::string& path,
                          const jose::Json& body = nullptr);

 private:
  Status EnsureToken();

  std::string base_url_;
  std::string client_id_;
  std::string client_secret_;
  std::string token_;
};

}  // namespace tessera::cli

#endif  // TESSERA_CLI_ADMIN_CLIENT_H_
