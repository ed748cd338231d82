// token_load: a load generator for POST /oauth2/v1/token with the jwt-bearer grant, or the
// token-exchange grant (RFC 8693) of a federation trust's outside tokens.
//
// It pre-signs `--count` unique user assertions (a new jti each) with the given key, then drives
// the token endpoint over `--connections` keep-alive connections on 127.0.0.1 for `--duration`
// seconds, either as fast as the server answers (closed loop, --rate 0) or at a fixed total
// rate (open loop: each request has a scheduled send time, and latency is measured from it, so
// a slow server cannot hide its queueing: no coordinated omission). Every assertion is used at
// most once; when they run out the run ends early and says so.
//
// With `--grant client-credentials` no assertion is signed (the client's Basic credentials alone);
// with `--dpop-key FILE --dpop-url URL` every request also carries its own DPoP proof (RFC 9449,
// a new jti each, pre-signed like the assertions) for that URL.
//
// With `--issuer ISS` the assertions are an outside issuer's tokens (iss ISS instead of the client
// id); with `--grant token-exchange` each is sent as the subject_token of an RFC 8693 exchange
// (subject_token_type ...:jwt) instead of a jwt-bearer assertion.
//
// With `--grant health` it sends GET /health instead (no assertion): the server's own HTTP round
// trip, the part of the floor that is not crypto.
//
// With `--flood KIND --flood-connections N`, N more connections send requests the server must
// refuse, as fast as it answers them, while the others run as above (--connections 0: the flood
// alone). KIND: bad-signature (valid assertions of the client with one signature byte changed),
// replay (one assertion, accepted once before the run, then sent again and again) or
// unknown-client (Basic credentials of a client that does not exist). The accepted traffic's
// figures leave the flood out; the flood's are flood_requests, flood_rps and flood_ok (answers
// 200 to a flood request: must be 0, else the run fails).
//
// Output: one line of key=value pairs (requests, ok, errors, seconds, rps, p50_ms, p90_ms,
// p99_ms, max_ms, exhausted, and with a flood flood_requests, flood_rps, flood_ok), for
// bench/token_endpoint.sh and bench/flood.sh to read. With `--report-every S`, it
// first prints one line per S seconds of the run, as it goes (interval, t, then the same keys
// for the requests completed in that interval), for bench/soak: the assertions are signed once
// for the whole run, so the load is steady from the first interval to the last.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "tessera/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using tessera::jose::Json;

std::string FormEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Sends `request` and reads one response; returns the status code, or -1 on a broken connection.
int RoundTrip(int fd, const std::string& request, std::string& buf) {
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return -1;
    sent += static_cast<size_t>(n);
  }
  buf.clear();
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  char chunk[16384];
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const size_t cl = buf.find("Content-Length:");
        const size_t cl2 = cl == std::string::npos ? buf.find("content-length:") : cl;
        if (cl2 != std::string::npos && cl2 < header_end)
          content_length = std::stoul(buf.substr(cl2 + 15));
      }
    }
    if (header_end != std::string::npos && buf.size() >= header_end + 4 + content_length) break;
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return -1;
    buf.append(chunk, static_cast<size_t>(n));
  }
  if (buf.size() < 12) return -1;
  return std::atoi(buf.c_str() + 9);
}

// Latency percentiles of one set of samples (ms), sorted in place.
struct Summary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

Summary Summarize(std::vector<double>& latencies) {
  Summary s;
  if (latencies.empty()) return s;
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[std::min(latencies.size() - 1,
                              static_cast<size_t>(p * static_cast<double>(latencies.size())))];
  };
  s.p50 = pct(0.50);
  s.p90 = pct(0.90);
  s.p99 = pct(0.99);
  s.max = latencies.back();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string key_file, kid, client_id, client_secret, sub, scope, issuer,
      grant = "jwt-bearer", aud = "https://identity.oraclecloud.com/";
  int port = 0, count = 10000, connections = 8, sign_threads = 2;
  double duration = 10, rate = 0, report_every = 0;
  CLI::App app("Token-endpoint load generator (loopback only)", "token_load");
  app.add_option("--port", port, "Server port on 127.0.0.1")->required();
  app.add_option("--key", key_file, "Private key (PEM) of the client certificate")->required();
  app.add_option("--kid", kid, "Certificate alias")->required();
  app.add_option("--client-id", client_id, "Client id")->required();
  app.add_option("--client-secret", client_secret, "Client secret")->required();
  app.add_option("--sub", sub, "userName")->required();
  app.add_option("--scope", scope, "Fully qualified scope");
  app.add_option("--aud", aud, "Assertion audience");
  app.add_option("--issuer", issuer, "The assertions' iss (default: the client id)");
  app.add_option("--grant", grant, "jwt-bearer (default) or token-exchange")
      ->check(CLI::IsMember({"jwt-bearer", "token-exchange", "client-credentials", "health"}));
  std::string flood = "none";
  int flood_connections = 0;
  app.add_option("--flood", flood, "Requests to refuse, sent alongside (see the file's comment)")
      ->check(CLI::IsMember({"none", "bad-signature", "replay", "unknown-client"}));
  app.add_option("--flood-connections", flood_connections, "Connections sending the flood")
      ->check(CLI::Range(0, 512));
  std::string dpop_key_file, dpop_url;
  app.add_option("--dpop-key", dpop_key_file, "Private key (PEM) of DPoP proofs (none: no proof)");
  app.add_option("--dpop-url", dpop_url, "The token endpoint's URL, the proofs' htu");
  app.add_option("--count", count, "Assertions to pre-sign")->check(CLI::Range(1, 5000000));
  app.add_option("--connections", connections, "Keep-alive connections")->check(CLI::Range(0, 512));
  app.add_option("--duration", duration, "Seconds")->check(CLI::Range(0.5, 86400.0));
  app.add_option("--rate", rate, "Requests per second in total (0 = as fast as answered)");
  app.add_option("--sign-threads", sign_threads, "Threads pre-signing assertions")
      ->check(CLI::Range(1, 16));
  app.add_option("--report-every", report_every,
                 "Also print the figures of every interval of this many seconds (0 = off)")
      ->check(CLI::Range(0.0, 3600.0));
  CLI11_PARSE(app, argc, argv);

  auto read_file = [](const std::string& path, std::string* out) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
      std::cerr << "token_load: cannot read " << path << "\n";
      return false;
    }
    char tmp[4096];
    size_t n;
    while ((n = std::fread(tmp, 1, sizeof(tmp), f)) > 0) out->append(tmp, n);
    std::fclose(f);
    return true;
  };
  std::string pem;
  if (!read_file(key_file, &pem)) return 1;
  auto key = tessera::jose::LoadPrivateKey(pem);
  if (!key.ok()) {
    std::cerr << "token_load: " << key.status().message() << "\n";
    return 1;
  }
  std::optional<tessera::client::DpopKey> dpop_key;
  if (!dpop_key_file.empty()) {
    std::string dpop_pem;
    if (!read_file(dpop_key_file, &dpop_pem)) return 1;
    auto k = tessera::client::DpopKey::FromPem(dpop_pem);
    if (!k.ok() || dpop_url.empty()) {
      std::cerr << "token_load: --dpop-key needs a usable key and --dpop-url\n";
      return 1;
    }
    dpop_key = std::move(*k);
  }

  // Pre-sign: the generator's own signing must not compete with the server during the run.
  const std::string auth =
      "Authorization: Basic " +
      tessera::jose::Base64Encode(FormEncode(client_id) + ":" + FormEncode(client_secret));
  std::vector<std::string> requests(static_cast<size_t>(count));
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<std::thread> signers;
  for (int t = 0; t < sign_threads; ++t) {
    signers.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i < requests.size();
           i += static_cast<size_t>(sign_threads)) {
        Json claims = {{"iss", issuer.empty() ? client_id : issuer},
                       {"sub", sub},
                       {"aud", aud},
                       {"iat", now},
                       {"exp", now + 3000},
                       {"jti", tessera::RandomUuid()}};
        std::string extra_headers;
        if (dpop_key) {
          auto proof = tessera::client::MakeDpopProof(*dpop_key, "POST", dpop_url, "", "", now);
          extra_headers = "DPoP: " + *proof + "\r\n";
        }
        if (grant == "health") {
          requests[i] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
          continue;
        }
        if (grant == "client-credentials") {
          std::string body = "grant_type=client_credentials";
          if (!scope.empty()) body += "&scope=" + FormEncode(scope);
          requests[i] = "POST /oauth2/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
                        auth +
                        "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
          continue;
        }
        auto jwt = tessera::jose::SignJwt(claims, *key, key->algorithms().First(),
                                          Json{{"kid", kid}, {"typ", "JWT"}});
        std::string body =
            grant == "token-exchange"
                ? "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
                  "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
                  "&subject_token=" +
                      *jwt
                : "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" +
                      *jwt;
        if (!scope.empty()) body += "&scope=" + FormEncode(scope);
        requests[i] = "POST /oauth2/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
                      auth +
                      "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
      }
    });
  }
  for (auto& t : signers) t.join();

  // The flood's requests: a few distinct ones, sent round and round (each is refused whatever
  // it was before).
  std::vector<std::string> flood_requests;
  if (flood != "none" && flood_connections > 0) {
    auto assertion_request = [&](const std::string& basic, bool break_signature) {
      Json claims = {{"iss", client_id}, {"sub", sub},        {"aud", aud},
                     {"iat", now},       {"exp", now + 3000}, {"jti", tessera::RandomUuid()}};
      std::string jwt = *tessera::jose::SignJwt(claims, *key, key->algorithms().First(),
                                                Json{{"kid", kid}, {"typ", "JWT"}});
      // A byte in the middle of the signature: still base64url, still the right length.
      if (break_signature) {
        char& c = jwt[jwt.rfind('.') + 10];
        c = c == 'A' ? 'B' : 'A';
      }
      std::string body =
          "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + jwt;
      if (!scope.empty()) body += "&scope=" + FormEncode(scope);
      return "POST /oauth2/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\n" + basic +
             "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    };
    if (flood == "bad-signature") {
      for (int i = 0; i < 64; ++i) flood_requests.push_back(assertion_request(auth, true));
    } else if (flood == "unknown-client") {
      const std::string unknown =
          "Authorization: Basic " + tessera::jose::Base64Encode("no-such-client:" + client_secret);
      for (int i = 0; i < 64; ++i) flood_requests.push_back(assertion_request(unknown, false));
    } else {  // replay: accepted once now, every later use refused
      flood_requests.push_back(assertion_request(auth, false));
      int fd = Connect(static_cast<uint16_t>(port));
      std::string buf;
      const int status = fd >= 0 ? RoundTrip(fd, flood_requests.front(), buf) : -1;
      if (fd >= 0) ::close(fd);
      if (status != 200) {
        std::cerr << "token_load: the assertion to replay was not accepted first (" << status
                  << ")\n";
        return 1;
      }
    }
  }

  std::atomic<size_t> next{0};
  std::atomic<long> ok{0}, errors{0};
  std::atomic<bool> exhausted{false};
  std::mutex mu;
  std::vector<double> latencies;  // ms
  latencies.reserve(requests.size());
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(duration);
  const double per_conn_interval = rate > 0 ? connections / rate : 0;  // seconds between sends

  // Per-interval figures (--report-every): requests completed since the last report.
  std::mutex interval_mu;
  std::condition_variable interval_cv;
  bool run_done = false;
  std::vector<double> interval_latencies;
  long interval_ok = 0, interval_errors = 0;
  int interval_index = 0;
  auto interval_start = start;
  auto report_interval = [&](Clock::time_point end) {  // called with interval_mu held
    const double secs = std::chrono::duration<double>(end - interval_start).count();
    const Summary s = Summarize(interval_latencies);
    std::printf(
        "interval=%d t=%.2f requests=%zu ok=%ld errors=%ld seconds=%.2f rps=%.0f p50_ms=%.3f "
        "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
        ++interval_index, std::chrono::duration<double>(end - start).count(),
        interval_latencies.size(), interval_ok, interval_errors, secs,
        secs > 0 ? static_cast<double>(interval_ok) / secs : 0.0, s.p50, s.p90, s.p99, s.max);
    std::fflush(stdout);
    interval_latencies.clear();
    interval_ok = interval_errors = 0;
    interval_start = end;
  };
  std::thread reporter;
  if (report_every > 0) {
    reporter = std::thread([&] {
      std::unique_lock lock(interval_mu);
      for (int k = 1;; ++k) {
        const auto tick = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(report_every * k));
        if (tick >= deadline)
          break;  // the last interval ends with the run, and is reported after it
        if (interval_cv.wait_until(lock, tick, [&] { return run_done; })) break;
        report_interval(tick);
      }
    });
  }
  std::vector<std::thread> workers;
  for (int c = 0; c < connections; ++c) {
    workers.emplace_back([&, c] {
      int fd = Connect(static_cast<uint16_t>(port));
      std::string buf;
      std::vector<double> mine;
      auto scheduled = start + std::chrono::duration<double>(per_conn_interval * c / connections);
      while (fd >= 0) {
        if (rate > 0) {
          if (scheduled >= deadline) break;
          std::this_thread::sleep_until(scheduled);
        } else if (Clock::now() >= deadline) {
          break;
        }
        const size_t i = next.fetch_add(1);
        if (i >= requests.size()) {
          exhausted = true;
          break;
        }
        const auto sent = rate > 0 ? scheduled : Clock::now();
        int status = RoundTrip(fd, requests[i], buf);
        const auto done = Clock::now();
        if (status == 200) {
          ++ok;
        } else {
          ++errors;
        }
        if (status < 0) {
          ::close(fd);
          fd = Connect(static_cast<uint16_t>(port));
        }
        const double ms = std::chrono::duration<double, std::milli>(done - sent).count();
        mine.push_back(ms);
        if (report_every > 0) {
          std::lock_guard lock(interval_mu);
          interval_latencies.push_back(ms);
          ++(status == 200 ? interval_ok : interval_errors);
        }
        if (rate > 0)
          scheduled += std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(per_conn_interval));
      }
      if (fd >= 0) ::close(fd);
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  std::atomic<long> flood_sent{0}, flood_ok{0};
  for (int c = 0; c < flood_connections && !flood_requests.empty(); ++c) {
    workers.emplace_back([&, c] {
      int fd = Connect(static_cast<uint16_t>(port));
      std::string buf;
      for (size_t k = static_cast<size_t>(c); fd >= 0 && Clock::now() < deadline; ++k) {
        const int status = RoundTrip(fd, flood_requests[k % flood_requests.size()], buf);
        ++flood_sent;
        if (status == 200) ++flood_ok;
        if (status < 0) {
          ::close(fd);
          fd = Connect(static_cast<uint16_t>(port));
        }
      }
      if (fd >= 0) ::close(fd);
    });
  }
  for (auto& w : workers) w.join();
  const auto end = Clock::now();
  if (reporter.joinable()) {
    {
      std::lock_guard lock(interval_mu);
      run_done = true;
    }
    interval_cv.notify_all();
    reporter.join();
    std::lock_guard lock(interval_mu);
    report_interval(end);
  }
  const double seconds = std::chrono::duration<double>(end - start).count();
  const Summary s = Summarize(latencies);
  std::printf(
      "requests=%zu ok=%ld errors=%ld seconds=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      "max_ms=%.3f exhausted=%d",
      latencies.size(), ok.load(), errors.load(), seconds, static_cast<double>(ok.load()) / seconds,
      s.p50, s.p90, s.p99, s.max, exhausted ? 1 : 0);
  if (!flood_requests.empty()) {
    std::printf(" flood_requests=%ld flood_rps=%.0f flood_ok=%ld", flood_sent.load(),
                static_cast<double>(flood_sent.load()) / seconds, flood_ok.load());
  }
  std::printf("\n");
  return errors.load() > 0 || flood_ok.load() > 0 ? 3 : 0;
}
