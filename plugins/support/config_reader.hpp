// Reading a plugin's `config:` block (a JSON object the host passes at create): typed getters with
// defaults and ranges, unknown-key rejection. Shared by the weixin, feishu/lark and nyxid plugins.
//
// Every failure throws std::invalid_argument whose text names the key and what was expected,
// NEVER the value found: config blocks hold bot tokens, app secrets and encrypt keys, and the
// text ends up in the host's logs and in `patchbay check-config` output.
//
// Thread safety: pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace patchbay::plugins::config_reader {

[[noreturn]] inline void fail(const std::string& msg) { throw std::invalid_argument(msg); }

inline std::string trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return std::string(s);
}

inline bool control_or_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// Throws for the first key of `o` not in `known`; the text lists the known keys.
template <class Range>
void check_known_keys(const boost::json::object& o, const Range& known) {
  for (const auto& kv : o) {
    if (std::find(std::begin(known), std::end(known), kv.key()) != std::end(known)) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    fail("unknown config key '" + std::string(kv.key()) + "' (known: " + list + ")");
  }
}

// The config block parsed: throws unless it is a JSON object whose keys are all in `known`. Read
// the object through the returned value's get_object() (the value owns it).
template <class Range>
boost::json::value parse_object(std::string_view json_text, const Range& known) {
  boost::json::error_code ec;
  boost::json::value root = boost::json::parse(json_text, ec);
  if (ec || !root.is_object()) fail("config must be a JSON object");
  check_known_keys(root.get_object(), known);
  return root;
}

// The string at `key` ("" when absent or null). `where` prefixes the key in error texts (for
// nested objects, e.g. "credentials.").
inline std::string get_string(const boost::json::object& o, std::string_view key,
                              std::string_view where = {}) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_string()) fail(std::string(where) + std::string(key) + " must be a string");
  return std::string(v->get_string());
}

// An integer in [min, max]; `def` when absent or null.
inline int64_t get_int(const boost::json::object& o, std::string_view key, int64_t def, int64_t min,
                       int64_t max) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return def;
  int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    n = v->get_uint64() > static_cast<uint64_t>(max) ? max + 1
                                                     : static_cast<int64_t>(v->get_uint64());
  } else {
    fail(std::string(key) + " must be an integer");
  }
  if (n < min || n > max)
    fail(std::string(key) + " must be between " + std::to_string(min) + " and " +
         std::to_string(max));
  return n;
}

// A number (integer or not) in [min, max]; `def` when absent or null.
inline double get_number(const boost::json::object& o, std::string_view key, double def, double min,
                         double max) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return def;
  double n = 0;
  if (v->is_double())
    n = v->get_double();
  else if (v->is_int64())
    n = static_cast<double>(v->get_int64());
  else if (v->is_uint64())
    n = static_cast<double>(v->get_uint64());
  else
    fail(std::string(key) + " must be a number");
  if (!(n >= min && n <= max))
    fail(std::string(key) + " must be between " + std::to_string(min) + " and " +
         std::to_string(max));
  return n;
}

inline bool get_bool(const boost::json::object& o, std::string_view key, bool def) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return def;
  if (!v->is_bool()) fail(std::string(key) + " must be true or false");
  return v->get_bool();
}

// An http:// or https:// URL without blanks or control characters.
inline void check_url(std::string_view url, std::string_view key) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    fail(std::string(key) + " must start with http:// or https://");
  if (control_or_space(url))
    fail(std::string(key) + " must not contain spaces or control characters");
}

}  // namespace patchbay::plugins::config_reader
