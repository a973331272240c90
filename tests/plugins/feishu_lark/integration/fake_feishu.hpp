// The fake Feishu/Lark server (tools/fakes/feishu, control API in tools/fakes/README.md) as a
// child process of the Feishu/Lark plugin tests, and the channel YAML/JSON that points the real
// feishu or lark plugin .so at it (TLS: the fake's CA is the channel's ca_file).
#pragma once

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "fake_process.hpp"
#include "open_access.hpp"

namespace fstest {
using namespace std::chrono_literals;
namespace json = boost::json;
using pbfake::wait_for;

struct app {
  std::string app_id, app_secret, encrypt_key, verification_token, bot_open_id, bot_name;
};

inline std::string str(const json::value& v, const char* key) {
  return pbfake::fake_process::str(v, key);
}
inline int64_t num(const json::value& v, const char* key) {
  return pbfake::fake_process::num(v, key);
}

class fake_feishu : public pbfake::fake_process {
 public:
  explicit fake_feishu(std::vector<std::string> extra_args = {})
      : fake_process(PB_FAKE_FEISHU_BIN, with_tls_dir(std::move(extra_args))) {
    if (const auto* a = first_line.if_contains("apps"); a && a->is_array())
      for (const auto& x : a->as_array())
        apps.push_back({str(x, "app_id"), str(x, "app_secret"), str(x, "encrypt_key"),
                        str(x, "verification_token"), str(x, "bot_open_id"), str(x, "bot_name")});
  }

  json::object inject(json::object body) const {
    auto v = call("POST", "/_fake/inject", body);
    return v.is_object() ? v.as_object() : json::object{};
  }
  // A p2p text message from `sender` (default chat and sender otherwise).
  json::object inject_text(const std::string& text, json::object extra = {}) const {
    extra["text"] = text;
    if (!extra.contains("chat_type")) extra["chat_type"] = "p2p";
    return inject(std::move(extra));
  }
  json::object webhook(json::object body) const {
    auto v = call("POST", "/_fake/webhook", body);
    return v.is_object() ? v.as_object() : json::object{};
  }
  void fault(json::object f) const { call("POST", "/_fake/fault", f); }
  void clear_faults() const { call("POST", "/_fake/faults/clear", json::object{}); }
  void config(json::object c) const { call("POST", "/_fake/config", c); }

  json::array events() const { return list("/_fake/events", "events"); }
  json::array messages() const { return list("/_fake/messages", "messages"); }
  json::array requests() const { return list("/_fake/requests", "requests"); }
  // CardKit card entities with their update history and state (tools/fakes/README.md).
  json::array cards() const { return list("/_fake/cards", "cards"); }
  json::object card(const std::string& card_id) const {
    for (const auto& c : cards())
      if (str(c, "card_id") == card_id) return c.as_object();
    return {};
  }
  json::object connections_log() const {
    auto v = call("GET", "/_fake/connections");
    return v.is_object() ? v.as_object() : json::object{};
  }
  json::array connections() const {
    auto c = connections_log();
    const auto* a = c.if_contains("connections");
    return a && a->is_array() ? a->as_array() : json::array{};
  }
  json::array discoveries() const {
    auto c = connections_log();
    const auto* a = c.if_contains("discoveries");
    return a && a->is_array() ? a->as_array() : json::array{};
  }
  size_t opened_connections() const { return connections().size(); }
  size_t open_connections() const {
    size_t n = 0;
    for (const auto& c : connections())
      if (num(c, "closed_ms") == 0) ++n;
    return n;
  }

  // The event record of `event_id` (null when unknown).
  json::value event(const std::string& event_id) const {
    for (const auto& e : events())
      if (str(e, "event_id") == event_id) return e;
    return nullptr;
  }
  bool acked_ok(const std::string& event_id) const {
    auto e = event(event_id);
    return e.is_object() && e.as_object().if_contains("acked") && e.at("acked").is_bool() &&
           e.at("acked").as_bool() && num(e, "ack_code") == 200;
  }
  // Bot messages that reply to `message_id`, or were sent to `chat_id` (either may be empty).
  std::vector<json::object> bot_messages(const std::string& reply_to,
                                         const std::string& chat_id = {}) const {
    std::vector<json::object> out;
    for (const auto& m : messages()) {
      if (!reply_to.empty() && str(m, "reply_to") != reply_to) continue;
      if (!chat_id.empty() && str(m, "chat_id") != chat_id) continue;
      out.push_back(m.as_object());
    }
    return out;
  }
  // HTTP requests whose path ends in `suffix`.
  std::vector<json::object> requests_to(const std::string& suffix) const {
    std::vector<json::object> out;
    for (const auto& r : requests()) {
      std::string p = str(r, "path");
      if (p.empty() || p.size() < suffix.size()) continue;
      if (p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
        out.push_back(r.as_object());
    }
    return out;
  }

  std::vector<app> apps;

 private:
  // The fake's certificates go into its own temporary directory (removed with it).
  static std::vector<std::string> with_tls_dir(std::vector<std::string> args) {
    args.insert(args.end(), {"--tls-dir", "{dir}/tls"});
    return args;
  }
};

// The channel's `config:` keys for `a` of `fake`, as YAML lines (6-space indent), plus `extra`.
inline std::string config_yaml(const fake_feishu& fake, const app& a, const std::string& mode,
                               const std::string& extra = "") {
  std::string y = "      app_id: \"" + a.app_id + "\"\n      app_secret: \"" + a.app_secret +
                  "\"\n      domain: \"" + fake.base_url + "\"\n      ca_file: \"" + fake.ca_file +
                  "\"\n      mode: " + mode + "\n";
  if (mode == "webhook")
    y += "      encrypt_key: \"" + a.encrypt_key + "\"\n      verification_token: \"" +
         a.verification_token + "\"\n";
  return y + extra;
}

// One channel block: `plugin_path` (PB_FEISHU_PLUGIN / PB_LARK_PLUGIN) bound to `a`.
inline std::string channel_yaml(const std::string& id, const std::string& plugin_path,
                                const fake_feishu& fake, const app& a, const std::string& mode,
                                const std::string& extra = "", const std::string& agent = "echo") {
  return "  - id: " + id + "\n    plugin: \"" + plugin_path + "\"\n    agent: " + agent +
         "\n" PB_OPEN_ACCESS "    config:\n" + config_yaml(fake, a, mode, extra);
}

// The same config as JSON (for the in-process driver).
inline std::string config_json(const fake_feishu& fake, const app& a, const std::string& mode,
                               json::object extra = {}) {
  extra["app_id"] = a.app_id;
  extra["app_secret"] = a.app_secret;
  extra["domain"] = fake.base_url;
  extra["ca_file"] = fake.ca_file;
  extra["mode"] = mode;
  if (mode == "webhook") {
    extra["encrypt_key"] = a.encrypt_key;
    extra["verification_token"] = a.verification_token;
  }
  return json::serialize(extra);
}

// Fast, deterministic reconnect timings for tests (no jitter).
inline std::string fast_reconnect_yaml(int initial_ms = 100, int max_ms = 1600,
                                       int stable_ms = 1000, int fatal_ms = 3000) {
  return "      reconnect_initial_ms: " + std::to_string(initial_ms) +
         "\n      reconnect_factor: 2\n      reconnect_max_ms: " + std::to_string(max_ms) +
         "\n      reconnect_jitter: 0\n      stable_after_ms: " + std::to_string(stable_ms) +
         "\n      fatal_retry_ms: " + std::to_string(fatal_ms) +
         "\n      liveness_margin_ms: 700\n";
}

// A reply's text with the host's part markers removed and whitespace dropped (for comparing a
// chunked answer with the original).
inline std::string squeeze(const std::string& s) {
  static const std::regex marker(R"(\[part \d+/\d+[^\]]*\])");
  std::string t = std::regex_replace(s, marker, "");
  std::string out;
  for (char c : t)
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') out += c;
  return out;
}

inline size_t codepoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// The channel's state in the host's /v1/channels ("" when absent); `token` the API token.
template <class Host>
std::string channel_state(Host& h, const std::string& id, std::string* reason = nullptr,
                          const std::string& token = "tok-integration-42") {
  auto r = h.get("/v1/channels", token);
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  for (const auto& c : v.at("channels").as_array())
    if (str(c, "id") == id) {
      if (reason) *reason = str(c, "reason");
      return str(c, "state");
    }
  return {};
}

// The host's echo agent (agents YAML), streaming `chunks` deltas `delay_ms` apart.
inline std::string echo_agent(int chunks, int delay_ms) {
  return "  echo: { type: echo, chunks: " + std::to_string(chunks) +
         ", delay_ms: " + std::to_string(delay_ms) + " }\n";
}

// Waits (bounded) until the host shows channel `id` connected.
template <class Host>
bool connected(Host& h, const std::string& id) {
  return wait_for([&] { return channel_state(h, id) == "connected"; });
}

}  // namespace fstest
