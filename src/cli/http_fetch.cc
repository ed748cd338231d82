#include "cli/http_fetch.h"

#include "common/http_client.h"

namespace tessera::cli {
namespace {

Result<HttpAnswer> Perform(HttpClientRequest request, const FetchLimits& limits) {
  request.timeout_seconds = limits.timeout_seconds;
  request.max_body_bytes = limits.max_bytes;
  request.user_agent = "tessera";
  HttpClient client;
  Result<HttpClientAnswer> answer = client.Perform(request);
  if (!answer.ok()) return answer.status().WithContext("cannot fetch " + request.url);
  return HttpAnswer{answer->status, std::move(answer->body)};
}

}  // namespace

Result<std::string> HttpGet(const std::string& url, const FetchLimits& limits) {
  HttpClientRequest request;
  request.url = url;
  // A key set is public data, but where it comes from decides which tokens verify: redirects
  // are followed (a few), to http(s) only.
  request.max_redirects = 3;
  TESSERA_ASSIGN_OR_RETURN(HttpAnswer answer, Perform(std::move(request), limits));
  if (answer.status < 200 || answer.status > 299) {
    return Status::Unavailable("cannot fetch " + url + ": HTTP status " +
                               std::to_string(answer.status));
  }
  return std::move(answer.body);
}

Result<HttpAnswer> HttpSend(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers, const std::string& body,
                            const FetchLimits& limits) {
  HttpClientRequest request;
  request.method = method;
  request.url = url;
  request.headers = headers;
  if (!body.empty() || (method != "GET" && method != "DELETE")) request.body = body;
  return Perform(std::move(request), limits);
}

}  // namespace tessera::cli
