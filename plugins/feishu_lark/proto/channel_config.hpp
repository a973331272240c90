// Feishu/Lark family: a channel's `config:` block (JSON), validated at create. Shared by the
// feishu and lark plugins, which differ only in their brand defaults (brand.hpp). Error texts name
// keys and expectations, never values (the block holds the app secret and the encrypt key).
//
//   app_id (string, required)          "cli_" + 16 hex digits
//   app_secret (string, required)
//   domain (string)                    "feishu", "lark" or a base URL (private deployment, fake);
//                                      default: the brand's
//   mode (string)                      "websocket" or "webhook"; default: the brand's
//   ca_file (string)                   HTTPS/WSS trust bundle instead of the system store (tests)
//   encrypt_key, verification_token    webhook mode: at least one of them (webhook.hpp)
//   webhook_max_skew_s (int, 300)      signed webhook timestamps older/newer than this → 401
//   group_require_mention (bool, true) answer group messages only when the bot is @-mentioned
//   dedup_ttl_ms (int, 12 h), dedup_capacity (int, 10000): event/message ids remembered
//   reconnect_initial_ms (2000), reconnect_factor (1.8), reconnect_max_ms (60000),
//   reconnect_jitter (0.2), stable_after_ms (30000): the WS supervisor's backoff, reset only
//                                      after a connection stayed up stable_after_ms
//   fatal_retry_ms (300000)            after a fatal error (bad credentials, app disabled, fatal
//                                      discovery code or handshake): status failed, retry this late
//   liveness_margin_ms (15000)         no inbound frame for PingInterval + this → connection dead
//   fragment_timeout_ms (10000)        an incomplete fragmented event is dropped (never acked)
//   connect_timeout_ms (10000), handshake_timeout_ms (10000), api_timeout_ms (15000)
//   rate_app_per_minute (1000), rate_app_burst (50), rate_chat_per_second (4), rate_chat_burst (4)
//                                      (a streaming card's updates are paced by the chat bucket
//                                      of their own, keyed by the card: under 10 per card and s)
//   render (string, "card")            "card": a streamed answer (PB_SEND_STREAM) is a CardKit
//                                      streaming card; "text": a text message edited in place
//   card_states (int, 1024)            streaming cards remembered (LRU) for their edits
//
// Thread safety: plain data.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "feishu_lark/proto/rate_limiter.hpp"
#include "feishu_lark/proto/webhook.hpp"
#include "patchbay/common/backoff.hpp"

namespace patchbay::plugins::feishu_family {

enum class transport_mode { websocket, webhook };
enum class render_mode { card, text };
const char* to_string(transport_mode m);

// What makes the feishu plugin different from the lark one.
struct brand_defaults {
  std::string_view platform;  // "Feishu" / "Lark" (logs, status)
  std::string_view domain;    // feishu_domain / lark_domain
  transport_mode mode = transport_mode::websocket;
};

struct channel_config {
  std::string platform;
  std::string app_id;
  std::string app_secret;  // never log
  std::string domain;      // resolved base URL, no trailing slash
  transport_mode mode = transport_mode::websocket;
  std::string ca_file;
  webhook_config webhook;  // encrypt_key / verification_token never logged
  bool group_require_mention = true;
  bool typing_reaction = true;  // a "Typing" reaction on the user's message while a turn runs
  std::chrono::milliseconds dedup_ttl{12 * 3600 * 1000};
  std::size_t dedup_capacity = 10000;
  common::backoff_policy reconnect{};  // 2 s, x1.8, 60 s cap, 20 % jitter
  std::chrono::milliseconds stable_after{30'000};
  std::chrono::milliseconds fatal_retry{300'000};
  std::chrono::milliseconds liveness_margin{15'000};
  std::chrono::milliseconds fragment_timeout{10'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds api_timeout{15'000};
  rate_limits limits;
  render_mode render = render_mode::card;
  std::size_t card_states = 1024;
};

// Parses and validates; throws std::invalid_argument with a text that never contains a value.
channel_config parse_channel_config(std::string_view json_text, const brand_defaults& brand);

}  // namespace patchbay::plugins::feishu_family
