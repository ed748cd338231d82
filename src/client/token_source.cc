// TokenSource: a per-(grant, subject, scope) cache with single-flight requests and bounded
// retries. See include/tessera/client.h for the contract.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>

#include "client/dpop_proof.h"
#include "client/http_post.h"
#include "jose/json.h"
#include "jose/jws.h"
#include "tessera/client.h"

namespace tessera::client {
namespace {

constexpr char kJwtBearer[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr char kClientAssertionType[] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

enum class Grant { kClientCredentials, kUserAssertion };

// "Equal jitter": half the delay fixed, half random, so synchronised clients spread out but
// every wait stays within [d/2, d].
std::chrono::milliseconds Jittered(std::chrono::milliseconds d) {
  thread_local std::minstd_rand rng(std::random_device{}());
  const int64_t half = d.count() / 2;
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(half, 0));
  return std::chrono::milliseconds(d.count() - half + dist(rng));
}

std::string StringMember(const jose::Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status StatusOf(const TokenError& e) {
  const std::string line = e.ToString();
  switch (e.kind) {
    case TokenError::Kind::kOAuth:
      return e.http_status == 401 ? Status::Unauthenticated(line) : Status::PermissionDenied(line);
    case TokenError::Kind::kServer:
    case TokenError::Kind::kTransport:
      return Status::Unavailable(line);
    case TokenError::Kind::kBadAnswer:
      return Status::Internal(line);
    case TokenError::Kind::kInvalidRequest:
    case TokenError::Kind::kNone:
      break;
  }
  return Status::InvalidArgument(line);
}

}  // namespace

std::string TokenError::ToString() const {
  std::string s;
  switch (kind) {
    case Kind::kNone:
      return "no error";
    case Kind::kOAuth:
      s = error.empty() ? "HTTP " + std::to_string(http_status) : error;
      if (!error_description.empty()) s += ": " + error_description;
      break;
    case Kind::kServer:
      s = "the token endpoint answered HTTP " + std::to_string(http_status);
      if (!error.empty()) s += " " + error;
      if (!error_description.empty()) s += ": " + error_description;
      s += " after " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s");
      break;
    case Kind::kTransport:
    case Kind::kBadAnswer:
    case Kind::kInvalidRequest:
      s = error_description;
      if (kind == Kind::kTransport) {
        s += " (after " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") + ")";
      }
      break;
  }
  if (!ecid.empty()) s += " (ecid " + ecid + ")";
  return s;
}

class TokenSource::Impl {
 public:
  explicit Impl(TokenSourceOptions o)
      : o_(std::move(o)), clock_(o_.clock != nullptr ? o_.clock : &SystemClock()) {}

  Result<Token> Get(Grant grant, std::string_view subject, std::string_view scope,
                    TokenError* error);
  void Invalidate(std::string_view subject, std::string_view scope) {
    std::lock_guard lock(mu_);
    for (Grant g : {Grant::kClientCredentials, Grant::kUserAssertion}) {
      auto it = entries_.find({g, std::string(subject), std::string(scope)});
      if (it != entries_.end()) it->second->token.reset();
    }
  }
  bool has_user_signer() const { return o_.user_signer.has_value(); }
  uint64_t requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string dpop_nonce() const {
    std::lock_guard lock(mu_);
    return dpop_nonce_;
  }
  const TokenSourceOptions& options() const { return o_; }
  const Clock& clock() const { return *clock_; }

 private:
  struct Entry {
    std::optional<Token> token;
    bool in_flight = false;
    uint64_t generation = 0;  // +1 per finished request round
    Status last_status;       // outcome of the last round, for the threads that waited for it
    TokenError last_error;
    std::condition_variable done;
  };
  using Key = std::tuple<Grant, std::string, std::string>;

  int64_t RenewAt(const Token& t) const {
    const int64_t life = t.expires_at - t.issued_at;
    const int64_t by_fraction = static_cast<int64_t>(static_cast<double>(life) * o_.renew_fraction);
    const int64_t by_margin = life - o_.renew_margin_seconds;
    return t.issued_at + std::max(life / 2, std::min(by_fraction, by_margin));
  }

  Result<Token> Request(Grant grant, const std::string& subject, const std::string& scope,
                        TokenError& error);
  Result<Token> Once(Grant grant, const std::string& subject, const std::string& scope,
                     TokenError& error, std::optional<std::chrono::milliseconds>& retry_after,
                     bool& retryable, bool& wants_nonce);

  const TokenSourceOptions o_;
  const Clock* const clock_;
  mutable std::mutex mu_;
  std::map<Key, std::shared_ptr<Entry>> entries_;
  uint64_t requests_ = 0;
  std::string dpop_nonce_;  // the token endpoint's last DPoP-Nonce (RFC 9449 8)
};

Result<Token> TokenSource::Impl::Get(Grant grant, std::string_view subject_view,
                                     std::string_view scope_view, TokenError* error_out) {
  const std::string subject(subject_view), scope(scope_view);
  std::unique_lock lock(mu_);
  std::shared_ptr<Entry>& slot = entries_[{grant, subject, scope}];
  if (!slot) slot = std::make_shared<Entry>();
  std::shared_ptr<Entry> e = slot;
  for (;;) {
    const int64_t now = clock_->NowSeconds();
    if (e->token && now < e->token->expires_at) {
      // Usable. Renew it if it is due and nobody is at it; otherwise hand it out.
      if (now < RenewAt(*e->token) || e->in_flight) return *e->token;
      break;
    }
    if (!e->in_flight) break;
    // No usable token and a request is out: wait for its outcome, which is ours too.
    const uint64_t seen = e->generation;
    e->done.wait(lock, [&] { return e->generation != seen; });
    if (e->last_status.ok() && e->token) return *e->token;
    if (!e->last_status.ok()) {
      if (error_out != nullptr) *error_out = e->last_error;
      return e->last_status;
    }
  }
  e->in_flight = true;
  ++requests_;  // counted as a round here; Request counts the retries
  lock.unlock();
  TokenError error;
  Result<Token> r = Request(grant, subject, scope, error);
  lock.lock();
  e->in_flight = false;
  ++e->generation;
  if (r.ok()) {
    e->token = *r;
    e->last_status = Status::Ok();
  } else {
    e->last_status = r.status();
    e->last_error = error;
  }
  e->done.notify_all();
  if (!r.ok()) {
    // A failed renewal of a token that is still valid: keep using it.
    if (e->token && clock_->NowSeconds() < e->token->expires_at) return *e->token;
    if (error_out != nullptr) *error_out = error;
  }
  return r;
}

Result<Token> TokenSource::Impl::Request(Grant grant, const std::string& subject,
                                         const std::string& scope, TokenError& error) {
  std::chrono::milliseconds backoff = o_.retry.initial_backoff;
  bool nonce_retried = false;
  for (int attempt = 1;; ++attempt) {
    std::optional<std::chrono::milliseconds> retry_after;
    bool retryable = false;
    bool wants_nonce = false;
    error = TokenError();
    error.attempts = attempt;
    Result<Token> r = Once(grant, subject, scope, error, retry_after, retryable, wants_nonce);
    if (!r.ok() && wants_nonce && !nonce_retried) {
      // RFC 9449 8: the server wants a nonce and gave one; the same request again, with it,
      // once per round (a server that refuses its own nonce must not keep us looping).
      nonce_retried = true;
      --attempt;
      std::lock_guard lock(mu_);
      ++requests_;
      continue;
    }
    if (r.ok() || !retryable || attempt >= o_.retry.max_attempts) {
      if (!r.ok()) error.attempts = attempt;
      return r;
    }
    std::chrono::milliseconds wait = Jittered(backoff);
    if (retry_after) {
      // RFC 9110 10.2.3: the server says when; a wait beyond our bound ends the retries.
      if (*retry_after > o_.retry.max_retry_after) return r;
      wait = std::max(wait, *retry_after);
    }
    std::this_thread::sleep_for(wait);
    {
      std::lock_guard lock(mu_);
      ++requests_;
    }
    backoff = std::min(backoff * 2, o_.retry.max_backoff);
  }
}

Result<Token> TokenSource::Impl::Once(Grant grant, const std::string& subject,
                                      const std::string& scope, TokenError& error,
                                      std::optional<std::chrono::milliseconds>& retry_after,
                                      bool& retryable, bool& wants_nonce) {
  PostRequest req;
  req.url = o_.base_url + o_.token_path;
  req.timeout_seconds = o_.request_timeout_seconds;
  req.ca_file = o_.ca_file;
  req.client_cert_file = o_.tls_client_cert_file;
  req.client_key_file = o_.tls_client_key_file;
  req.client_key_password = o_.tls_client_key_password;
  if (grant == Grant::kClientCredentials) {
    req.form.emplace_back("grant_type", "client_credentials");
  } else {
    // A new assertion per attempt: its jti is single-use (RFC 7523 3, contract rule 7).
    Result<std::string> assertion = o_.user_signer->Sign(o_.client_id, subject);
    if (!assertion.ok()) {
      error.kind = TokenError::Kind::kInvalidRequest;
      error.error_description = "cannot sign the user assertion: " + assertion.status().message();
      return StatusOf(error);
    }
    req.form.emplace_back("grant_type", kJwtBearer);
    req.form.emplace_back("assertion", *assertion);
  }
  if (!scope.empty()) req.form.emplace_back("scope", scope);
  if (o_.client_signer) {
    Result<std::string> assertion = o_.client_signer->Sign(o_.client_id, o_.client_id);
    if (!assertion.ok()) {
      error.kind = TokenError::Kind::kInvalidRequest;
      error.error_description = "cannot sign the client assertion: " + assertion.status().message();
      return StatusOf(error);
    }
    req.form.emplace_back("client_id", o_.client_id);
    req.form.emplace_back("client_assertion_type", kClientAssertionType);
    req.form.emplace_back("client_assertion", *assertion);
  } else {
    req.basic_user = o_.client_id;
    req.basic_password = o_.client_secret;
  }

  const int64_t issued_at = clock_->NowSeconds();
  if (o_.dpop_key) {
    // A fresh proof per request (its jti is single use, RFC 9449 11.1), for POST to the token
    // URL, with the server's last nonce (RFC 9449 4.2, 8).
    Result<std::string> proof =
        MakeDpopProof(*o_.dpop_key, "POST", req.url, /*access_token=*/"", dpop_nonce(), issued_at);
    if (!proof.ok()) {
      error.kind = TokenError::Kind::kInvalidRequest;
      error.error_description = "cannot make the DPoP proof: " + proof.status().message();
      return StatusOf(error);
    }
    req.headers.push_back("DPoP: " + *proof);
  }
  Result<PostAnswer> answer = PostForm(req);
  if (!answer.ok()) {
    error.kind = TokenError::Kind::kTransport;
    error.error_description = answer.status().message();
    retryable = answer.status().code() == StatusCode::kUnavailable;
    return StatusOf(error);
  }
  error.http_status = static_cast<int>(answer->status);
  // RFC 9449 8.2: a server may hand out a new nonce on any answer; keep the latest well-formed
  // one for the next proof.
  const bool new_nonce = answer->dpop_nonce && ValidDpopNonce(*answer->dpop_nonce);
  if (new_nonce && o_.dpop_key) {
    std::lock_guard lock(mu_);
    dpop_nonce_ = *answer->dpop_nonce;
  }
  Result<jose::Json> json = jose::ParseStrictJson(answer->body, {.max_bytes = 256 * 1024});
  if (json.ok() && json->is_object()) {
    error.error = StringMember(*json, "error");
    error.error_description = StringMember(*json, "error_description");
    error.ecid = StringMember(*json, "ecid");
  }
  if (answer->status >= 200 && answer->status <= 299) {
    const int http_status = error.http_status;
    error = TokenError();
    error.kind = TokenError::Kind::kBadAnswer;
    error.http_status = http_status;
    if (!json.ok() || !json->is_object()) {
      error.error_description = "the token endpoint's answer is not a JSON object";
      return StatusOf(error);
    }
    Token t;
    t.access_token = StringMember(*json, "access_token");
    if (t.access_token.empty()) {
      error.error_description = "the token endpoint's answer has no access_token";
      return StatusOf(error);
    }
    t.token_type = StringMember(*json, "token_type");
    t.scope = json->contains("scope") ? StringMember(*json, "scope") : scope;
    t.issued_at = issued_at;
    t.expires_at = issued_at;  // without a lifetime the token is never reused from the cache
    if (auto it = json->find("expires_in");
        it != json->end() && it->is_number() && it->get<double>() > 0 && it->get<double>() < 1e10) {
      t.expires_at = issued_at + it->get<int64_t>();
    }
    t.raw_json = std::move(answer->body);
    return t;
  }
  if (answer->status == 429 || answer->status >= 500) {
    error.kind = TokenError::Kind::kServer;
    retryable = true;
    if (answer->retry_after_seconds) {
      retry_after = std::chrono::seconds(*answer->retry_after_seconds);
    }
    return StatusOf(error);
  }
  error.kind = TokenError::Kind::kOAuth;
  wants_nonce = answer->status == 400 && error.error == "use_dpop_nonce" && new_nonce &&
                o_.dpop_key.has_value();
  if (error.error.empty() && error.error_description.empty()) {
    error.error_description = "the token endpoint answered HTTP " + std::to_string(answer->status);
  }
  return StatusOf(error);
}

Result<TokenSource> TokenSource::Create(TokenSourceOptions o) {
  if (o.base_url.rfind("http://", 0) != 0 && o.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("the token service URL must be http:// or https://, not \"" +
                                   o.base_url + "\"");
  }
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  if (o.client_id.empty()) return Status::InvalidArgument("a client id is required");
  if (o.client_secret.empty() == !o.client_signer.has_value()) {
    return Status::InvalidArgument(
        "give exactly one client authentication: a client secret or a client signing key");
  }
  if (o.tls_client_cert_file.empty() != o.tls_client_key_file.empty()) {
    return Status::InvalidArgument(
        "a TLS client certificate needs its private key, and a key its certificate");
  }
  for (const std::string* file : {&o.tls_client_cert_file, &o.tls_client_key_file}) {
    if (!file->empty() && ::access(file->c_str(), R_OK) != 0) {
      return Status::InvalidArgument("cannot read \"" + *file + "\"");
    }
  }
  if (o.retry.max_attempts < 1 || o.retry.initial_backoff.count() < 0 ||
      o.retry.max_backoff < o.retry.initial_backoff || o.renew_fraction <= 0 ||
      o.renew_fraction > 1 || o.renew_margin_seconds < 0 || o.request_timeout_seconds <= 0) {
    return Status::InvalidArgument("retry and renewal settings out of range");
  }
  return TokenSource(std::make_shared<Impl>(std::move(o)));
}

Result<Token> TokenSource::ClientToken(std::string_view scope, TokenError* error) {
  return impl_->Get(Grant::kClientCredentials, "", scope, error);
}

Result<Token> TokenSource::UserToken(std::string_view subject, std::string_view scope,
                                     TokenError* error) {
  if (subject.empty()) {
    TokenError e;
    e.kind = TokenError::Kind::kInvalidRequest;
    e.error_description = "a user token needs a user name";
    if (error != nullptr) *error = e;
    return StatusOf(e);
  }
  if (!impl_->has_user_signer()) {
    TokenError e;
    e.kind = TokenError::Kind::kInvalidRequest;
    e.error_description = "a user token needs a user signer (TokenSourceOptions)";
    if (error != nullptr) *error = e;
    return StatusOf(e);
  }
  return impl_->Get(Grant::kUserAssertion, subject, scope, error);
}

void TokenSource::Invalidate(std::string_view subject, std::string_view scope) {
  impl_->Invalidate(subject, scope);
}

uint64_t TokenSource::RequestCount() const { return impl_->requests(); }

std::string TokenSource::DpopNonce() const { return impl_->dpop_nonce(); }

Result<AuthorizationHeaders> TokenSource::Authorize(const Token& token, std::string_view method,
                                                    std::string_view url,
                                                    std::string_view nonce) const {
  const std::optional<DpopKey>& key = impl_->options().dpop_key;
  return MakeAuthorizationHeaders(token, key ? &*key : nullptr, method, url, nonce,
                                  impl_->clock().NowSeconds());
}

Result<AuthorizationHeaders> MakeAuthorizationHeaders(const Token& token, const DpopKey* key,
                                                      std::string_view method, std::string_view url,
                                                      std::string_view nonce, int64_t now) {
  // RFC 9449 5 and 7.1: the token_type says how the token is presented; a DPoP token as
  // Bearer would be refused by a resource that knows the binding (7.2).
  std::string type = token.token_type;
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  AuthorizationHeaders h;
  if (type != "dpop") {
    h.authorization = "Bearer " + token.access_token;
    return h;
  }
  if (key == nullptr) {
    return Status::InvalidArgument("a DPoP token needs the DPoP key it was issued for");
  }
  TESSERA_ASSIGN_OR_RETURN(h.dpop,
                           MakeDpopProof(*key, method, url, token.access_token, nonce, now));
  h.authorization = "DPoP " + token.access_token;
  return h;
}

}  // namespace tessera::client
