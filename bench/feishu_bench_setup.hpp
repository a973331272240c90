// What the Feishu benchmark's phases share: the fake Feishu server and a `patchbay run` with the
// Feishu plugin against it (feishu_setup), JSON field readers, /proc figures.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "patchbay/common/json_util.hpp"

namespace pbbench {

inline size_t count_fds(pid_t pid) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

inline std::string str(const json::value& v, const char* key) {
  return v.is_object() ? std::string(patchbay::common::json_util::string_at(v.as_object(), key))
                       : std::string();
}
inline int64_t num(const json::value& v, const char* key) {
  const auto* p = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (p == nullptr) return 0;
  if (p->is_int64()) return p->as_int64();
  if (p->is_uint64()) return static_cast<int64_t>(p->as_uint64());
  return 0;
}

// How the plugin trusts the fake's CA: the system store with the CA added through the host's
// SSL_CERT_FILE (the production path, the default), or the plugin's `ca_file` (--ca-file).
inline bool g_use_ca_file = false;
// How many chats a burst is spread over (--chats).
inline size_t g_chats = 50;

struct feishu_setup {
  fake_child fake;
  std::unique_ptr<host_child> host;
  explicit feishu_setup(const fs::path& dir, const std::string& extra)
      : fake(PB_FAKE_BIN, {"--tls-dir", (dir / "tls").string()}, dir) {
    const auto& app = fake.info.at("apps").as_array().at(0);
    std::map<std::string, std::string> env;
    std::string trust;
    if (g_use_ca_file) {
      trust = "      ca_file: \"" + fake.ca_file + "\"\n";
    } else {
      const std::string bundle = system_bundle_with(fake.ca_file, dir);
      if (bundle.empty()) return;
      env[X509_get_default_cert_file_env()] = bundle;
    }
    host = std::make_unique<host_child>(
        dir,
        "agents:\n  echo: { type: echo, chunks: 1, delay_ms: 0 }\nchannels:\n"
        "  - id: fs\n    plugin: \"" PB_FEISHU_PLUGIN
        "\"\n    agent: echo\n    access: {dm: open}\n    config:\n"
        "      app_id: \"" +
            str(app, "app_id") + "\"\n      app_secret: \"" + str(app, "app_secret") +
            "\"\n      domain: \"" + fake.base + "\"\n" + trust + "      mode: websocket\n" + extra,
        "info", std::move(env));
  }
  json::array list(const std::string& path, const char* key) const {
    auto v = fake.control(path);
    const auto* a = v.is_object() ? v.as_object().if_contains(key) : nullptr;
    return a && a->is_array() ? a->as_array() : json::array{};
  }
  size_t open_connections() const {
    size_t n = 0;
    for (const auto& c : list("/_fake/connections", "connections"))
      if (num(c, "closed_ms") == 0) ++n;
    return n;
  }
};

// The machine's wall clock, in microseconds (compared with the fake's `stored_wall_us`).
inline int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The p-th quantile (0..1) of sorted `v` (0 when empty).
inline int64_t quantile(const std::vector<int64_t>& v, double p) {
  return v.empty() ? 0 : v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

// The host's resident set now and its high-water mark since it started (/proc/PID/status), kB.
struct rss_figures {
  long now_kb = 0;
  long peak_kb = 0;
};
inline rss_figures rss_of(pid_t pid) { return {rss_kb(pid), proc_status(pid, "VmHWM")}; }

// Settings that lift the plugin's client-side rate limits (which would pace replies at the
// platform's limits, 1000/min per app) for the burst phases.
inline constexpr const char* k_unlimited =
    "      rate_app_per_minute: 1000000\n      rate_app_burst: 100000\n"
    "      rate_chat_per_second: 10000\n      rate_chat_burst: 100000\n";

// Phases in feishu_load.cpp.
// A burst of `events` injected at once through a fresh host: acks, replies/s, host CPU per
// message, TCP connections opened, RSS idle / peak / after. `poll` is how often the fake's lists
// are read (they grow with the burst; reading them costs the fake CPU on the shared cores).
void burst(const fs::path& dir, size_t events, std::chrono::milliseconds poll, size_t singles);
// `rate` messages per second for `seconds` through a fresh host, one chat; inject -> reply posted
// latency p50 / p99 / max (bench wall clock before the inject call -> the fake's store time).
void fixed_rate(const fs::path& dir, size_t rate, size_t seconds);

}  // namespace pbbench
