#include "agents/agent_options.hpp"

#include <boost/json/parse.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace patchbay::agents {
namespace json = boost::json;

namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

}  // namespace

option_reader::option_reader(std::string_view options_json, std::string backend)
    : backend_(std::move(backend)) {
  json::error_code ec;
  root_ = json::parse(options_json.empty() ? std::string_view("{}") : options_json, ec);
  if (ec || !root_.is_object()) {
    problems_.push_back(backend_ + ": options must be a map");
    root_ = json::object();
  }
}

const json::value* option_reader::take(std::string_view key) {
  seen_.emplace(key);
  const json::value* v = root_.as_object().if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

void option_reader::problem(const std::string& text) {
  problems_.push_back(backend_ + ": " + text);
}

void option_reader::text(std::string_view key, std::string& out, bool required) {
  const json::value* v = take(key);
  if (v == nullptr) {
    if (required) problem("option '" + std::string(key) + "' is required");
    return;
  }
  if (v->is_string())
    out = std::string(v->get_string());
  else if (v->is_int64())
    out = std::to_string(v->get_int64());
  else if (v->is_uint64())
    out = std::to_string(v->get_uint64());
  else
    problem("option '" + std::string(key) + "' must be a string");
}

void option_reader::url(std::string_view key, std::string& out, bool required) {
  std::string u;
  text(key, u, required);
  if (u.empty()) return;
  if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
    problem("option '" + std::string(key) + "' must be an http:// or https:// URL");
    return;
  }
  out = std::move(u);
}

void option_reader::integer(std::string_view key, std::int64_t& out, std::int64_t min,
                            std::int64_t max) {
  const json::value* v = take(key);
  if (v == nullptr) return;
  if (v->is_int64() && v->get_int64() >= min && v->get_int64() <= max) {
    out = v->get_int64();
    return;
  }
  problem("option '" + std::string(key) + "' must be an integer from " + std::to_string(min) +
          " to " + std::to_string(max));
}

void option_reader::flag(std::string_view key, bool& out) {
  const json::value* v = take(key);
  if (v == nullptr) return;
  if (v->is_bool()) {
    out = v->get_bool();
    return;
  }
  problem("option '" + std::string(key) + "' must be true or false");
}

void option_reader::millis(std::string_view key, std::chrono::milliseconds& out, std::int64_t min,
                           std::int64_t max) {
  std::int64_t ms = out.count();
  integer(key, ms, min, max);
  out = std::chrono::milliseconds(ms);
}

void option_reader::number(std::string_view key, std::optional<double>& out, double min,
                           double max) {
  const json::value* v = take(key);
  if (v == nullptr) return;
  double d = NAN;
  if (v->is_double())
    d = v->get_double();
  else if (v->is_int64())
    d = static_cast<double>(v->get_int64());
  if (std::isfinite(d) && d >= min && d <= max) {
    out = d;
    return;
  }
  char range[64];
  std::snprintf(range, sizeof range, "%g to %g", min, max);
  problem("option '" + std::string(key) + "' must be a number from " + range);
}

void option_reader::header_map(std::string_view key,
                               std::vector<std::pair<std::string, std::string>>& out) {
  const json::value* v = take(key);
  if (v == nullptr) return;
  if (!v->is_object()) {
    problem("option '" + std::string(key) + "' must be a map of names to values");
    return;
  }
  for (const auto& [name, value] : v->get_object()) {
    const std::string where = "option '" + std::string(key) + "." + std::string(name) + "'";
    if (!is_token(name)) {
      problem("option '" + std::string(key) + "' has an invalid header name");
      continue;
    }
    std::string s;
    if (value.is_string())
      s = std::string(value.get_string());
    else if (value.is_int64())
      s = std::to_string(value.get_int64());
    else {
      problem(where + " must be a string");
      continue;
    }
    if (s.find_first_of("\r\n") != std::string::npos) {
      problem(where + " must be one line");
      continue;
    }
    out.emplace_back(std::string(name), std::move(s));
  }
}

void option_reader::file(std::string_view key, std::string& out) {
  std::string path;
  text(key, path);
  if (path.empty()) return;
  if (!std::ifstream(path).good()) {
    problem("option '" + std::string(key) + "' names a file that cannot be read");
    return;
  }
  out = std::move(path);
}

std::string option_reader::finish() {
  for (const auto& [k, v] : root_.as_object())
    if (!seen_.count(std::string_view(k))) problem("unknown option '" + std::string(k) + "'");
  std::string all;
  for (const auto& p : problems_) all += (all.empty() ? "" : "; ") + p;
  return all;
}

void read_deadlines(option_reader& r, http_deadlines& out) {
  constexpr std::int64_t hour = 3'600'000;
  r.millis("connect_timeout_ms", out.connect, 1, hour);
  r.millis("first_byte_timeout_ms", out.first_byte, 1, hour);
  r.millis("idle_timeout_ms", out.idle, 1, hour);
  r.millis("total_timeout_ms", out.total, 1, hour);
}

std::string describe_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  char buf[32];
  if (ms % 1000 == 0)
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ms / 1000));
  else
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace patchbay::agents
