// A small Prometheus registry: counters, gauges and fixed-bucket histograms, rendered in the
// text exposition format 0.0.4 for GET /metrics.
//
// Names follow the contract: prefixed "tessera_", counters end in "_total", durations are
// histograms in seconds ending in "_seconds". A name's kind is fixed by its first use
// (Increment: counter, SetGauge: gauge, Observe: histogram); a later use of the same name as
// another kind is ignored, as is a name or label name that Prometheus would reject
// ([a-zA-Z_:][a-zA-Z0-9_:]*; label names without ':'). Counters ignore negative increments.
//
// Label values must come from a bounded set (route patterns, status codes, error codes), never
// from request data such as a path or a client id: every distinct label set is a series that
// lives as long as the registry.
//
// Example:
//   Metrics metrics;
//   metrics.Describe("tessera_tokens_issued_total", "Access tokens issued.");
//   metrics.Increment("tessera_tokens_issued_total", {{"grant", "jwt-bearer"}});
//   metrics.Observe("tessera_sign_duration_seconds", {{"alg", "RS256"}}, 0.000236);
//   std::string text = metrics.Render();
//
// Thread safety: every method may be called concurrently. Updating an existing series takes a
// shared (reader) lock on one of several shards plus atomic arithmetic; only the first use of
// a series takes a shard's exclusive lock. Render takes each shard's shared lock in turn, so
// a scrape sees each series consistently but not all series at one instant.
#ifndef TESSERA_HTTP_METRICS_H_
#define TESSERA_HTTP_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::http {

// Label name/value pairs. Order does not matter: series are keyed by the sorted pairs.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Upper bounds (seconds) of the histogram buckets, from 100 us to 10 s; "+Inf" is implied.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10};

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Sets the "# HELP" text of `name` (otherwise a generic one is rendered). Newlines and
  // backslashes are escaped on output.
  void Describe(std::string_view name, std::string_view help);

  // Adds `by` (>= 0) to counter `name` with `labels`.
  void Increment(std::string_view name, const Labels& labels = {}, double by = 1);

  // Records one observation of `seconds` in histogram `name` with `labels`.
  void Observe(std::string_view name, const Labels& labels, double seconds);

  // Sets gauge `name` with `labels` to `value`.
  void SetGauge(std::string_view name, const Labels& labels, double value);

  // The whole registry in Prometheus text format 0.0.4: families sorted by name, each with
  // "# HELP" and "# TYPE" lines, series sorted by labels; histograms as cumulative "_bucket"
  // lines with "le", then "_sum" and "_count". Content type:
  // "text/plain; version=0.0.4; charset=utf-8" (kContentType).
  std::string Render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series;
  struct Shard;
  struct Family;

  // The series for (name, labels) of `kind`, created on first use; nullptr when the name or
  // labels are invalid or the name is already used by another kind.
  Series* GetSeries(std::string_view name, const Labels& labels, Kind kind);
  Family* GetFamily(std::string_view name, Kind kind);

  static constexpr std::size_t kShards = 16;
  std::unique_ptr<Shard[]> shards_;
  mutable std::shared_mutex families_mutex_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;  // by name
  // Help texts described before the family's first use (which fixes its kind).
  std::map<std::string, std::string, std::less<>> pending_help_;  // guarded by families_mutex_
};

}  // namespace tessera::http

#endif  // TESSERA_HTTP_METRICS_H_
