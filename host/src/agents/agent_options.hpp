// Reading a backend's options (the JSON object the config hands it, agents.<name> minus `type`),
// shared by the HTTP-based backends: each getter consumes one key and checks its type and range;
// finish() adds every key nobody asked for. Error texts name the backend and the option, never
// its value (values may be secrets interpolated from ${ENV}). Pure; one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace patchbay::agents {

class option_reader {
 public:
  // `backend` names it in errors, e.g. "http agent".
  option_reader(std::string_view options_json, std::string backend);

  // A string (an integer is taken as its decimal text: `${TOKEN}` may be all digits).
  void text(std::string_view key, std::string& out, bool required = false);
  // An absolute http:// or https:// URL.
  void url(std::string_view key, std::string& out, bool required = false);
  void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  void millis(std::string_view key, std::chrono::milliseconds& out, std::int64_t min,
              std::int64_t max);
  void number(std::string_view key, std::optional<double>& out, double min, double max);
  // true or false.
  void flag(std::string_view key, bool& out);
  // A map of string values, e.g. HTTP headers (names must be HTTP tokens, values one line).
  void header_map(std::string_view key, std::vector<std::pair<std::string, std::string>>& out);
  // A readable file path (checked now, so a typo shows at start-up, not at the first turn).
  void file(std::string_view key, std::string& out);

  // "" when every key was known and valid; else the problems joined with "; ".
  std::string finish();

 private:
  const boost::json::value* take(std::string_view key);
  void problem(const std::string& text);

  std::string backend_;
  boost::json::value root_;
  std::set<std::string, std::less<>> seen_;
  std::vector<std::string> problems_;
};

// The per-phase deadlines of the kit HTTP client, as options connect_timeout_ms,
// first_byte_timeout_ms, idle_timeout_ms and total_timeout_ms (1 ms .. 1 h each).
struct http_deadlines {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds first_byte{60'000};
  std::chrono::milliseconds idle{60'000};
  std::chrono::milliseconds total{300'000};
};
void read_deadlines(option_reader& r, http_deadlines& out);

// "12 s" / "1.5 s" / "250 ms": a deadline for user-facing texts.
std::string describe_duration(std::chrono::milliseconds d);

}  // namespace patchbay::agents
