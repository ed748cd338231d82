// Form, query, percent-decoding and HTTP Basic parsers (http/form.h) on hostile bytes.
//
// Invariants checked beyond the sanitizers:
//   - ParseForm and ParseQuery agree; an accepted body has at most kMaxFormParameters
//     parameters, and re-encoding it with UrlEncode gives back the same map;
//   - any set of distinct pairs joined as UrlEncode(name)=UrlEncode(value) round-trips;
//   - a name given twice is always an error ("... is repeated" when under the parameter limit);
//     every error is kInvalidArgument and its message stays bounded (names quoted, truncated);
//   - PercentDecode never grows its input, takes '+' literally unless asked, and inverts
//     UrlEncode, whose output holds only unreserved bytes and %XX;
//   - ParseBasicAuthorization accepts base64(urlencode(id) ":" urlencode(secret)) for any
//     non-empty id and gives both back; an accepted header has a non-empty client id; an error
//     message never contains the secret.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/form.h"

namespace tessera::fuzz {
namespace {

using Form = std::map<std::string, std::string>;

// A marker no fixed error text contains: a message holding it leaked the secret.
constexpr std::string_view kSecretMarker = "Zq7SECRETx9";
// Longest legitimate error: fixed text, a name quoted to 64 bytes and "...", a context or two.
constexpr std::size_t kMaxMessage = 256;

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t g = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(g >> s) & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t g = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) g |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(g >> 18) & 63]);
    out.push_back(kAlphabet[(g >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(g >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string Encode(const Form& form) {
  std::string out;
  for (const auto& [name, value] : form) {
    if (!out.empty()) out += '&';
    out += http::UrlEncode(name) + "=" + http::UrlEncode(value);
  }
  return out;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsUpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

void CheckError(const Status& s) {
  TESSERA_FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, Describe(s));
  TESSERA_FUZZ_CHECK(s.message().size() <= kMaxMessage, Describe(s));
}

void CheckUrlEncode(std::string_view input) {
  const std::string encoded = http::UrlEncode(input);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      TESSERA_FUZZ_CHECK(
          i + 2 < encoded.size() && IsUpperHex(encoded[i + 1]) && IsUpperHex(encoded[i + 2]),
          encoded);
      i += 2;
    } else {
      TESSERA_FUZZ_CHECK(IsUnreserved(encoded[i]), encoded);
    }
  }
  for (bool plus : {false, true}) {
    Result<std::string> back = http::PercentDecode(encoded, plus);
    TESSERA_FUZZ_CHECK(back.ok() && *back == input, encoded);
  }
}

void CheckPercentDecode(std::string_view input) {
  Result<std::string> form = http::PercentDecode(input, /*plus_is_space=*/true);
  Result<std::string> raw = http::PercentDecode(input, /*plus_is_space=*/false);
  TESSERA_FUZZ_CHECK(form.ok() == raw.ok(), std::string(input));
  if (!form.ok()) {
    CheckError(form.status());
    CheckError(raw.status());
    return;
  }
  TESSERA_FUZZ_CHECK(form->size() <= input.size() && form->size() == raw->size(),
                     std::string(input));
  if (input.find('%') == std::string_view::npos) {
    TESSERA_FUZZ_CHECK(*raw == input, *raw);
  }
  // Without '+' the two modes agree byte for byte.
  if (input.find('+') == std::string_view::npos) TESSERA_FUZZ_CHECK(*form == *raw, *form);
}

void CheckParseForm(std::string_view input) {
  Result<Form> form = http::ParseForm(input);
  Result<Form> query = http::ParseQuery(input);
  TESSERA_FUZZ_CHECK(form.ok() == query.ok(), std::string(input));
  if (!form.ok()) {
    CheckError(form.status());
    TESSERA_FUZZ_CHECK(form.status().message() == query.status().message(),
                       Describe(query.status()));
    return;
  }
  TESSERA_FUZZ_CHECK(*form == *query, std::string(input));
  TESSERA_FUZZ_CHECK(form->size() <= http::kMaxFormParameters, std::to_string(form->size()));
  const std::string encoded = Encode(*form);
  Result<Form> again = http::ParseForm(encoded);
  TESSERA_FUZZ_CHECK(again.ok() && *again == *form, encoded);
  if (form->empty()) return;

  // Giving an accepted name a second time, in any spelling, is an error.
  const std::string& name = form->begin()->first;
  for (const std::string& twice : {std::string(input) + "&" + http::UrlEncode(name) + "=x",
                                   http::UrlEncode(name) + "=&" + std::string(input)}) {
    Result<Form> repeated = http::ParseForm(twice);
    TESSERA_FUZZ_CHECK(!repeated.ok(), twice);
    CheckError(repeated.status());
    if (form->size() < http::kMaxFormParameters) {
      TESSERA_FUZZ_CHECK(repeated.status().message().find("is repeated") != std::string::npos,
                         Describe(repeated.status()));
    }
  }
}

// Distinct pairs from the fuzzer's bytes, encoded and parsed back.
void CheckRoundTrip(FuzzedDataProvider& fdp) {
  Form pairs;
  const std::size_t n = fdp.ConsumeIntegralInRange<std::size_t>(0, http::kMaxFormParameters);
  for (std::size_t i = 0; i < n && fdp.remaining_bytes() > 0; ++i) {
    std::string name = fdp.ConsumeRandomLengthString(96);
    std::string value = fdp.ConsumeRandomLengthString(256);
    pairs.try_emplace(std::move(name), std::move(value));
  }
  const std::string encoded = Encode(pairs);
  Result<Form> parsed = http::ParseForm(encoded);
  TESSERA_FUZZ_CHECK(parsed.ok(), Describe(parsed.status()));
  TESSERA_FUZZ_CHECK(*parsed == pairs, encoded);
}

void CheckBasic(std::string_view input, FuzzedDataProvider& fdp) {
  Result<http::BasicCredentials> any = http::ParseBasicAuthorization(input);
  if (any.ok()) {
    TESSERA_FUZZ_CHECK(!any->client_id.empty(), std::string(input));
  } else {
    CheckError(any.status());
  }

  const std::string id = fdp.ConsumeRandomLengthString(128);
  const std::string secret = fdp.ConsumeRandomLengthString(128);
  const std::string scheme = fdp.ConsumeBool() ? "Basic " : "bAsIc   ";
  const std::string header = scheme + Base64(http::UrlEncode(id) + ":" + http::UrlEncode(secret));
  Result<http::BasicCredentials> good = http::ParseBasicAuthorization(header);
  if (id.empty()) {
    TESSERA_FUZZ_CHECK(!good.ok(), header);
    CheckError(good.status());
  } else {
    TESSERA_FUZZ_CHECK(good.ok(), Describe(good.status()));
    TESSERA_FUZZ_CHECK(good->client_id == id && good->client_secret == secret, header);
  }

  // The same credentials unencoded (a bad %-escape, ':' or '+' possible) behind a marker.
  if (id.find(':') != std::string::npos || id.find(kSecretMarker) != std::string::npos) return;
  const std::string marked = std::string(kSecretMarker) + secret;
  for (const std::string& text : {id + ":" + marked, id + ":" + http::UrlEncode(marked)}) {
    const std::string h = "Basic " + Base64(text);
    Result<http::BasicCredentials> r = http::ParseBasicAuthorization(h);
    if (r.ok()) continue;
    CheckError(r.status());
    TESSERA_FUZZ_CHECK(r.status().message().find(kSecretMarker) == std::string::npos,
                       Describe(r.status()));
    TESSERA_FUZZ_CHECK(r.status().ToString().find(kSecretMarker) == std::string::npos,
                       Describe(r.status()));
  }
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  const std::string_view input = fuzz::AsText(data, size);
  fuzz::CheckParseForm(input);
  fuzz::CheckPercentDecode(input);
  fuzz::CheckUrlEncode(input);
  FuzzedDataProvider basic(data, size);
  fuzz::CheckBasic(input, basic);
  FuzzedDataProvider pairs(data, size);
  fuzz::CheckRoundTrip(pairs);
  return 0;
}
