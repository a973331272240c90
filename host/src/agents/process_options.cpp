// Parsing and validation of the process agent's options (see process_options.hpp).
#include "agents/process_options.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>

namespace patchbay::agents {
namespace {
namespace json = boost::json;

// Scalars that stand for text in argv and env: strings, and numbers or booleans written plainly
// in YAML (`PORT: 8080`).
std::optional<std::string> as_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_double()) return json::serialize(v);
  return std::nullopt;
}

struct reader {
  std::string& error;
  void fail(const std::string& msg) {
    if (error.empty()) error = "process agent: " + msg;
  }
  std::optional<std::int64_t> integer(const json::value& v, const std::string& name,
                                      std::int64_t lo, std::int64_t hi) {
    if (v.is_int64() && v.get_int64() >= lo && v.get_int64() <= hi) return v.get_int64();
    fail("option '" + name + "' must be an integer in " + std::to_string(lo) + ".." +
         std::to_string(hi));
    return std::nullopt;
  }
  std::optional<double> number(const json::value& v, const std::string& name, double lo,
                               double hi) {
    double d = v.is_double()  ? v.get_double()
               : v.is_int64() ? static_cast<double>(v.get_int64())
                              : -1e300;
    if (d >= lo && d <= hi) return d;
    fail("option '" + name + "' must be a number in " + json::serialize(json::value(lo)) + ".." +
         json::serialize(json::value(hi)));
    return std::nullopt;
  }
  bool strings(const json::value& v, const std::string& name, std::vector<std::string>& out) {
    if (!v.is_array()) {
      fail("option '" + name + "' must be a list of strings");
      return false;
    }
    for (const auto& item : v.get_array()) {
      auto s = as_text(item);
      if (!s) {
        fail("option '" + name + "' must be a list of strings");
        return false;
      }
      out.push_back(std::move(*s));
    }
    return true;
  }
};

void read_backoff(reader& r, const json::value& v, process_options& o) {
  if (!v.is_object()) return r.fail("option 'restart_backoff' must be a map");
  for (const auto& [k, val] : v.get_object()) {
    const std::string name = "restart_backoff." + std::string(k);
    if (k == "initial_ms") {
      if (auto n = r.integer(val, name, 1, 3'600'000))
        o.backoff.initial = std::chrono::milliseconds(*n);
    } else if (k == "cap_ms") {
      if (auto n = r.integer(val, name, 1, 3'600'000))
        o.backoff.cap = std::chrono::milliseconds(*n);
    } else if (k == "factor") {
      if (auto d = r.number(val, name, 1.0, 10.0)) o.backoff.factor = *d;
    } else if (k == "jitter") {
      if (auto d = r.number(val, name, 0.0, 1.0)) o.backoff.jitter = *d;
    } else if (k == "reset_after_ms") {
      if (auto n = r.integer(val, name, 1, 86'400'000))
        o.reset_after = std::chrono::milliseconds(*n);
    } else {
      r.fail("unknown option '" + name +
             "' (expected initial_ms, cap_ms, factor, jitter, reset_after_ms)");
    }
  }
  if (o.backoff.cap < o.backoff.initial)
    r.fail("option 'restart_backoff.cap_ms' is below initial_ms");
}

void read_crash_loop(reader& r, const json::value& v, process_options& o) {
  if (!v.is_object()) return r.fail("option 'crash_loop' must be a map");
  for (const auto& [k, val] : v.get_object()) {
    const std::string name = "crash_loop." + std::string(k);
    if (k == "restarts") {
      if (auto n = r.integer(val, name, 1, 1000)) o.crash_loop_restarts = static_cast<int>(*n);
    } else if (k == "window_ms") {
      if (auto n = r.integer(val, name, 1, 86'400'000))
        o.crash_loop_window = std::chrono::milliseconds(*n);
    } else {
      r.fail("unknown option '" + name + "' (expected restarts, window_ms)");
    }
  }
}

void read_env(reader& r, const json::value& v, process_options& o) {
  if (!v.is_object()) return r.fail("option 'env' must be a map of names to values");
  for (const auto& [k, val] : v.get_object()) {
    auto text = as_text(val);
    if (k.empty() || k.find('=') != json::string_view::npos ||
        k.find('\0') != json::string_view::npos)
      return r.fail("option 'env' has an invalid variable name");
    if (!text || text->find('\0') != std::string::npos)
      return r.fail("option 'env." + std::string(k) + "' must be a string");
    o.env.emplace_back(std::string(k), std::move(*text));
  }
}

}  // namespace

process_options parse_process_options(std::string_view options_json, std::string& error) {
  process_options o;
  reader r{error};
  json::error_code ec;
  json::value v = json::parse(options_json.empty() ? "{}" : options_json, ec);
  if (ec || !v.is_object()) {
    r.fail("options must be a map");
    return o;
  }
  std::vector<std::string> command, args;
  for (const auto& [k, val] : v.get_object()) {
    if (k == "command") {
      if (val.is_string())
        command.emplace_back(val.get_string());
      else
        r.strings(val, "command", command);
    } else if (k == "args") {
      r.strings(val, "args", args);
    } else if (k == "env") {
      read_env(r, val, o);
    } else if (k == "cwd") {
      if (val.is_string() && !val.get_string().empty())
        o.cwd = std::string(val.get_string());
      else
        r.fail("option 'cwd' must be a non-empty string");
    } else if (k == "restart_backoff") {
      read_backoff(r, val, o);
    } else if (k == "crash_loop") {
      read_crash_loop(r, val, o);
    } else if (k == "max_in_flight") {
      if (auto n = r.integer(val, "max_in_flight", 1, 100'000))
        o.max_in_flight = static_cast<std::size_t>(*n);
    } else if (k == "max_line_bytes") {
      if (auto n = r.integer(val, "max_line_bytes", 1024, 64 << 20))
        o.max_line_bytes = static_cast<std::size_t>(*n);
    } else if (k == "stop_grace_ms") {
      if (auto n = r.integer(val, "stop_grace_ms", 0, 600'000))
        o.stop_grace = std::chrono::milliseconds(*n);
    } else if (k == "send_cancel") {
      if (val.is_bool())
        o.send_cancel = val.get_bool();
      else
        r.fail("option 'send_cancel' must be true or false");
    } else {
      r.fail("unknown option '" + std::string(k) +
             "' (expected command, args, env, cwd, restart_backoff, crash_loop, max_in_flight, "
             "max_line_bytes, stop_grace_ms, send_cancel)");
    }
  }
  if (command.empty() || command[0].empty())
    r.fail("option 'command' is required (a program, or a list: program and arguments)");
  for (const auto& a : command) o.argv.push_back(a);
  for (const auto& a : args) o.argv.push_back(a);
  for (const auto& a : o.argv)
    if (a.find('\0') != std::string::npos) r.fail("option 'command'/'args' holds a NUL character");
  return o;
}

}  // namespace patchbay::agents
