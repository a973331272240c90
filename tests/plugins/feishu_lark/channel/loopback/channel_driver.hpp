// feishu_channel_tests' driver: the real lark (or feishu) plugin .so on the test host
// (tests/support/plugin_driver.hpp) through its C ABI, plus signed, encrypted webhook deliveries
// built the way the platform builds them (docs/protocols/feishu-lark.md §7). One test program
// includes it.
#pragma once

#include <gtest/gtest.h>

#include "feishu_lark/proto/crypto.hpp"
#include "open_api_peer.hpp"
#include "plugin_driver.hpp"

namespace fstest {
namespace crypto = patchbay::plugins::feishu_family::crypto;

constexpr const char* kAppId = "cli_0123456789abcdef";
constexpr const char* kSecret = "app-secret-never-logged";
constexpr const char* kKey = "test key";  // the note's encrypt key

using pbdrv::text;
using outcome = pbdrv::op_outcome;

// One inbound message as the tests compare it: event|conversation|text|message|mentions, the
// bot's own mention marked with '*'.
inline std::string line(const pbdrv::inbound_record& r) {
  std::string mentions;
  for (const auto& m : r.mentions) {
    if (m == "*self")
      mentions += "*";
    else
      mentions += m;
  }
  return r.event_id + "|" + r.conversation_id + "|" + r.text + "|" + r.message_id + "|" + mentions;
}

// One instance of the lark plugin (webhook mode by default) or `plugin_path` on the test host
// (tests/support/plugin_driver.hpp).
struct instance : pbdrv::instance {
  explicit instance(const std::string& config, const char* plugin_path = PB_LARK_PLUGIN)
      : pbdrv::instance(plugin_path, "fs", config) {
    if (create_rc == PB_OK) {
      EXPECT_EQ(start_rc, PB_OK);
    }
  }
  outcome send(const std::string& chat, const std::string& reply_to, const std::string& t,
               const std::string& turn) {
    return pbdrv::instance::send(chat, t, reply_to, turn);
  }
  outcome edit(const std::string& id, const std::string& t) {
    return pbdrv::instance::edit("oc_chat", id, t);
  }
  pbdrv::http_outcome post(const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
    return http("POST", "", headers, body);
  }
  bool connected() {
    return open_api_peer::wait_for([&] { return host.has_state(PB_STATE_CONNECTED); });
  }
  // The host's inbound messages as line()s.
  std::vector<std::string> inbound() {
    std::vector<std::string> out;
    for (size_t i = 0; i < host.inbound_count(); ++i) out.push_back(line(host.inbound_at(i)));
    return out;
  }
};

std::string config(const open_api_peer& peer, const std::string& extra = "") {
  return std::string(R"({"app_id":")") + kAppId + R"(","app_secret":")" + kSecret +
         R"(","domain":")" + peer.base_url + R"(","encrypt_key":")" + kKey +
         R"(","verification_token":"vt")" + extra + "}";
}

// A signed, encrypted delivery of `event_json`, as the platform sends it.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> delivery(
    const std::string& event_json) {
  const std::string body =
      R"({"encrypt":")" + crypto::encrypt_event(kKey, event_json, std::string(16, '\x22')) + "\"}";
  const std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  return {body,
          {{"X-Lark-Request-Timestamp", ts},
           {"X-Lark-Request-Nonce", "n1"},
           {"X-Lark-Signature", crypto::webhook_signature(ts, "n1", kKey, body)}}};
}

std::string message_event(const std::string& event_id, const std::string& message_id,
                          const std::string& chat_type, const std::string& content,
                          bool mention_bot) {
  json::object msg{{"message_id", message_id}, {"chat_id", "oc_chat"},
                   {"chat_type", chat_type},   {"message_type", "text"},
                   {"content", content},       {"create_time", "1700000000123"}};
  if (mention_bot)
    msg["mentions"] = json::array{json::object{
        {"key", "@_user_1"}, {"id", json::object{{"open_id", "ou_bot"}}}, {"name", "Bot"}}};
  return json::serialize(json::object{
      {"schema", "2.0"},
      {"header", json::object{{"event_id", event_id},
                              {"event_type", "im.message.receive_v1"},
                              {"token", "vt"},
                              {"app_id", kAppId}}},
      {"event",
       json::object{{"sender", json::object{{"sender_id", json::object{{"open_id", "ou_u"}}},
                                            {"sender_type", "user"}}},
                    {"message", std::move(msg)}}}});
}

}  // namespace fstest
