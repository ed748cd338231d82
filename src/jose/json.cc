#include "jose/json.h"

#include <string>
#include <vector>

#include "jose/error.h"

namespace tessera::jose {
namespace {

// Wraps nlohmann's DOM builder and adds the checks it lacks. Returning false from an event stops
// the parser at once, so a hostile input costs no more than its prefix up to the violation.
class StrictSax {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<Json>;

  StrictSax(Json& root, int max_depth)
      : dom_(root, /*allow_exceptions=*/false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(Json::string_t& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }

  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    if (keys_.size() < static_cast<size_t>(depth_)) keys_.resize(depth_);
    keys_[depth_ - 1].clear();
    return dom_.start_object(n);
  }
  bool key(Json::string_t& k) {
    // RFC 7515 5.2 / RFC 8725 3.11: a JWS with duplicate member names is rejected, never
    // resolved "last one wins" (one component could read the first, another the last).
    auto& seen = keys_[depth_ - 1];
    for (const auto& s : seen) {
      if (s == k) {
        error_ = JoseFailure(JoseError::kDuplicateMember, "member \"" + Truncate(k) + "\"");
        return false;
      }
    }
    seen.push_back(k);
    return dom_.key(k);
  }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (!Enter()) return false;
    return dom_.start_array(n);
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    error_ = JoseFailure(JoseError::kBadJson, ex.what());
    return false;
  }

  const Status& error() const { return error_; }

 private:
  static std::string Truncate(const std::string& s) { return s.size() > 64 ? s.substr(0, 64) : s; }
  bool Enter() {
    if (++depth_ > max_depth_) {
      error_ = JoseFailure(JoseError::kJsonTooDeep, "limit " + std::to_string(max_depth_));
      return false;
    }
    return true;
  }

  Dom dom_;
  int max_depth_;
  int depth_ = 0;
  std::vector<std::vector<std::string>> keys_;  // member names per open object depth
  Status error_;
};

}  // namespace

Result<Json> ParseStrictJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return JoseFailure(JoseError::kTooLarge, "JSON of " + std::to_string(text.size()) + " bytes");
  }
  // nlohmann's lexer silently skips a leading UTF-8 byte order mark. RFC 8259 8.1 forbids one in
  // networked JSON, and RFC 7519 7.2 step 4 asks for exactly a UTF-8 JSON object, so a BOM before
  // a header or claims set is an error (ATTACKS E5), not something to skip.
  if (text.size() >= 3 && text.substr(0, 3) == "\xef\xbb\xbf") {
    return JoseFailure(JoseError::kBadJson, "byte order mark before the JSON text");
  }
  Json root;
  StrictSax sax(root, limits.max_depth);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &sax, Json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    return JoseFailure(JoseError::kBadJson, e.what());
  }
  if (!ok) {
    if (!sax.error().ok()) return sax.error();
    return JoseFailure(JoseError::kBadJson);
  }
  return root;
}

std::string DumpCompact(const Json& value) {
  // Strict replacement: a string holding invalid UTF-8 is an internal bug, not an input error.
  return value.dump(-1, ' ', false, Json::error_handler_t::strict);
}

}  // namespace tessera::jose
