#include "patchbay/common/json_util.hpp"

#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>

namespace patchbay::common::json_util {
namespace json = boost::json;

std::optional<json::value> parse(std::string_view text, std::string* error) {
  json::parse_options opt;
  opt.max_depth = 32;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, json::storage_ptr(), opt);
  if (ec) {
    if (error) *error = "invalid JSON (" + ec.message() + ")";
    return std::nullopt;
  }
  return v;
}

const json::object* object_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

std::string_view string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return {};
  const json::string& s = v->get_string();
  return {s.data(), s.size()};
}

std::optional<uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

std::optional<int64_t> parse_signed(std::string_view s) {
  const bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  const auto n = parse_decimal(s);
  if (!n || *n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return neg ? -static_cast<int64_t>(*n) : static_cast<int64_t>(*n);
}

std::string clip(std::string_view s, size_t max) {
  if (s.size() > max) {
    size_t cut = max;
    // Back off continuation bytes so a multi-byte character is not split.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut);
  }
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return out;
}

std::optional<int64_t> as_int(const json::value& v) {
  constexpr auto max = std::numeric_limits<int64_t>::max();
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(max)) return std::nullopt;
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (!std::isfinite(d) || std::trunc(d) != d || d >= 9223372036854775808.0 ||
        d < -9223372036854775808.0)
      return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v.is_string()) {
    return parse_signed(std::string_view(v.get_string().data(), v.get_string().size()));
  }
  return std::nullopt;
}

std::optional<int64_t> int_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? as_int(*v) : std::nullopt;
}

}  // namespace patchbay::common::json_util
