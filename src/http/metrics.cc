#include "http/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <unordered_map>

namespace tessera::http {
namespace {

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void AppendEscaped(std::string& out, std::string_view s, bool escape_quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    // Shortest round-trip text; plain decimals ("0.0001", not "1e-04") where that stays short.
    double magnitude = std::fabs(v);
    auto format = (magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15))
                      ? std::chars_format::fixed
                      : std::chars_format::general;
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, format);
    out.append(buf, end);
  }
}

// Atomic add for doubles with a CAS loop (portable where fetch_add on atomic<double> is not
// lock-free).
void AtomicAdd(std::atomic<double>& target, double delta) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
  }
}

}  // namespace

struct Metrics::Family {
  std::string name;
  Kind kind;
  std::string help;  // guarded by Metrics::families_mutex_
};

struct Metrics::Series {
  const Family* family = nullptr;
  std::string labels;            // rendered, sorted: a="1",b="2" (without braces); empty for none
  std::atomic<double> value{0};  // counter, gauge; histogram sum
  std::atomic<uint64_t> count{0};
  std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};  // non-cumulative
};

struct Metrics::Shard {
  mutable std::shared_mutex mutex;
  std::unordered_map<std::string, std::unique_ptr<Series>> series;  // name '\0' labels
};

Metrics::Metrics() : shards_(new Shard[kShards]) {}
Metrics::~Metrics() = default;

Metrics::Family* Metrics::GetFamily(std::string_view name, Kind kind) {
  {
    std::shared_lock lock(families_mutex_);
    auto it = families_.find(name);
    if (it != families_.end()) return it->second->kind == kind ? it->second.get() : nullptr;
  }
  std::unique_lock lock(families_mutex_);
  auto [it, inserted] = families_.try_emplace(std::string(name));
  if (inserted) {
    it->second = std::make_unique<Family>();
    it->second->name = std::string(name);
    it->second->kind = kind;
    if (auto help = pending_help_.find(name); help != pending_help_.end()) {
      it->second->help = std::move(help->second);
      pending_help_.erase(help);
    }
  }
  return it->second->kind == kind ? it->second.get() : nullptr;
}

Metrics::Series* Metrics::GetSeries(std::string_view name, const Labels& labels, Kind kind) {
  if (!ValidName(name, /*allow_colon=*/true)) return nullptr;
  std::string key(name);
  key.push_back('\0');
  if (!labels.empty()) {
    std::vector<const std::pair<std::string, std::string>*> sorted;
    sorted.reserve(labels.size());
    for (const auto& l : labels) {
      if (!ValidName(l.first, /*allow_colon=*/false) || l.first.starts_with("__")) return nullptr;
      if (kind == Kind::kHistogram && l.first == "le") return nullptr;
      sorted.push_back(&l);
    }
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      if (i > 0) {
        if (sorted[i]->first == sorted[i - 1]->first) return nullptr;  // duplicate label
        key.push_back(',');
      }
      key += sorted[i]->first;
      key += "=\"";
      AppendEscaped(key, sorted[i]->second, /*escape_quote=*/true);
      key.push_back('"');
    }
  }
  Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
  {
    std::shared_lock lock(shard.mutex);
    auto it = shard.series.find(key);
    if (it != shard.series.end()) {
      return it->second->family->kind == kind ? it->second.get() : nullptr;
    }
  }
  Family* family = GetFamily(name, kind);
  if (family == nullptr) return nullptr;
  std::unique_lock lock(shard.mutex);
  auto& slot = shard.series[key];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->family = family;
    slot->labels = key.substr(name.size() + 1);
  }
  return slot.get();
}

void Metrics::Describe(std::string_view name, std::string_view help) {
  std::unique_lock lock(families_mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    // The kind is not known until the first use, which claims this text.
    pending_help_[std::string(name)] = std::string(help);
    return;
  }
  it->second->help = std::string(help);
}

void Metrics::Increment(std::string_view name, const Labels& labels, double by) {
  if (!(by >= 0)) return;
  if (Series* s = GetSeries(name, labels, Kind::kCounter)) AtomicAdd(s->value, by);
}

void Metrics::Observe(std::string_view name, const Labels& labels, double seconds) {
  if (std::isnan(seconds)) return;
  Series* s = GetSeries(name, labels, Kind::kHistogram);
  if (s == nullptr) return;
  auto bucket = std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin();
  if (static_cast<std::size_t>(bucket) < kBuckets.size()) {
    s->buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  }
  AtomicAdd(s->value, seconds);
  s->count.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::SetGauge(std::string_view name, const Labels& labels, double value) {
  if (Series* s = GetSeries(name, labels, Kind::kGauge)) {
    s->value.store(value, std::memory_order_relaxed);
  }
}

std::string Metrics::Render() const {
  struct Snapshot {
    const Family* family;
    const std::string* labels;
    double value;
    uint64_t count;
    std::array<uint64_t, kBuckets.size()> buckets;
  };
  std::vector<Snapshot> rows;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::shared_lock lock(shards_[i].mutex);
    for (const auto& [key, s] : shards_[i].series) {
      Snapshot row{s->family,
                   &s->labels,
                   s->value.load(std::memory_order_relaxed),
                   s->count.load(std::memory_order_relaxed),
                   {}};
      for (std::size_t b = 0; b < kBuckets.size(); ++b) {
        row.buckets[b] = s->buckets[b].load(std::memory_order_relaxed);
      }
      rows.push_back(row);
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Snapshot& a, const Snapshot& b) {
    if (a.family->name != b.family->name) return a.family->name < b.family->name;
    return *a.labels < *b.labels;
  });

  std::shared_lock families_lock(families_mutex_);
  std::string out;
  const Family* current = nullptr;
  for (const Snapshot& row : rows) {
    const std::string& name = row.family->name;
    if (row.family != current) {
      current = row.family;
      out += "# HELP " + name + " ";
      if (current->help.empty()) {
        out += "Tessera metric " + name + ".";
      } else {
        AppendEscaped(out, current->help, /*escape_quote=*/false);
      }
      out += "\n# TYPE " + name + " ";
      out += current->kind == Kind::kCounter ? "counter"
             : current->kind == Kind::kGauge ? "gauge"
                                             : "histogram";
      out += "\n";
    }
    if (current->kind != Kind::kHistogram) {
      out += name;
      if (!row.labels->empty()) out += "{" + *row.labels + "}";
      out += " ";
      AppendNumber(out, row.value);
      out += "\n";
      continue;
    }
    // Buckets are stored per interval (one atomic add per observation) and made cumulative
    // here. A scrape racing an Observe may see the bucket without the count; the count is
    // then taken as at least the bucket total so the +Inf line stays monotonic.
    std::string prefix = *row.labels;
    if (!prefix.empty()) prefix += ",";
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += row.buckets[b];
      out += name + "_bucket{" + prefix + "le=\"";
      AppendNumber(out, kBuckets[b]);
      out += "\"} " + std::to_string(cumulative) + "\n";
    }
    uint64_t count = std::max(row.count, cumulative);
    out += name + "_bucket{" + prefix + "le=\"+Inf\"} " + std::to_string(count) + "\n";
    out += name + "_sum";
    if (!row.labels->empty()) out += "{" + *row.labels + "}";
    out += " ";
    AppendNumber(out, row.value);
    out += "\n" + name + "_count";
    if (!row.labels->empty()) out += "{" + *row.labels + "}";
    out += " " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace tessera::http
