#include "cli/admin_client.h"

#include "cli/http_fetch.h"
#include "common/random.h"
#include "jose/base64url.h"

namespace tessera::cli {
namespace {

std::string RequestId() { return std::string(kAdminRequestIdPrefix) + RandomToken(12); }

}  // namespace

std::string UrlEncodeComponent(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string BasicAuthorization(const std::string& client_id, const std::string& client_secret) {
  return "Basic " + jose::Base64Encode(UrlEncodeComponent(client_id) + ":" +
                                       UrlEncodeComponent(client_secret));
}

std::string ErrorSummary(long status, const std::string& body) {
  Result<jose::Json> j = jose::ParseStrictJson(body);
  std::string text;
  if (j.ok() && j->is_object()) {
    if (auto d = j->find("detail"); d != j->end() && d->is_string()) text = d->get<std::string>();
    if (auto e = j->find("error"); text.empty() && e != j->end() && e->is_string()) {
      text = e->get<std::string>();
      if (auto d = j->find("error_description"); d != j->end() && d->is_string())
        text += ": " + d->get<std::string>();
    }
  }
  if (text.empty()) text = body.substr(0, 200);
  return "HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text);
}

AdminClient::AdminClient(std::string base_url, std::string client_id, std::string client_secret)
    : base_url_(std::move(base_url)),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Status AdminClient::EnsureToken() {
  if (!token_.empty()) return Status::Ok();
  TESSERA_ASSIGN_OR_RETURN(
      HttpAnswer answer,
      HttpSend("POST", base_url_ + "/oauth2/v1/token",
               {"Authorization: " + BasicAuthorization(client_id_, client_secret_),
                "Content-Type: application/x-www-form-urlencoded", "Accept: application/json",
                // The CLI's own token requests are marked, so that the audit trail tells them
                // from application traffic (their ecid starts with "tessera-admin-").
                "X-Request-Id: " + RequestId(), "User-Agent: tessera-admin"},
               "grant_type=client_credentials&scope=urn%3Aopc%3Aidm%3A__myscopes__"));
  if (answer.status != 200) {
    return Status::Unauthenticated("cannot obtain an administrator token: " +
                                   ErrorSummary(answer.status, answer.body));
  }
  Result<jose::Json> j = jose::ParseStrictJson(answer.body);
  if (!j.ok() || !j->contains("access_token") || !(*j)["access_token"].is_string()) {
    return Status::Internal("the token endpoint answered without an access_token");
  }
  token_ = (*j)["access_token"].get<std::string>();
  return Status::Ok();
}

Result<jose::Json> AdminClient::Send(const std::string& method, const std::string& path,
                                     const jose::Json& body) {
  TESSERA_RETURN_IF_ERROR(EnsureToken());
  std::vector<std::string> headers = {"Authorization: Bearer " + token_, "Accept: application/json",
                                      "X-Request-Id: " + RequestId(), "User-Agent: tessera-admin"};
  std::string payload;
  if (!body.is_null()) {
    headers.push_back("Content-Type: application/json");
    payload = jose::DumpCompact(body);
  }
  TESSERA_ASSIGN_OR_RETURN(HttpAnswer answer, HttpSend(method, base_url_ + path, headers, payload));
  if (answer.status < 200 || answer.status > 299) {
    return Status::FailedPrecondition(method + " " + path + ": " +
                                      ErrorSummary(answer.status, answer.body));
  }
  if (answer.body.empty()) return jose::Json(nullptr);
  Result<jose::Json> j = jose::ParseStrictJson(answer.body, {4 << 20, 32});
  if (!j.ok()) return Status::Internal(method + " " + path + ": the answer is not JSON");
  return j;
}

}  // namespace tessera::cli
