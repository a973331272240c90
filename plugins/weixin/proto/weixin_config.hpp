// The Weixin channel's `config:` block (JSON), validated at create. Error texts name keys and
// expectations, never values (the block holds the bot token).
//
//   bot_token (string, required*)      iLink bearer token from the QR login
//   base_url (string)                  API base, default https://ilinkai.weixin.qq.com
//   account_id (string)                ilink_bot_id, e.g. "b0f5860fdecb@im.bot" (logs, status)
//   user_id (string)                   the WeChat user who scanned the QR code (informational)
//   credentials (string)               the JSON file `patchbay weixin-login` writes, usually as
//                                      "${file:/path/weixin.json}": supplies the four keys above
//                                      (keys given explicitly win)
//   longpolling_timeout_ms (int)       client deadline of one long poll before the server suggests
//                                      one, default 35000 (a timeout is an empty poll)
//   route_tag (string|int)             SKRouteTag header
//   bot_agent, app_id, channel_version base_info / header self-identification
//   ca_file (string)                   HTTPS trust bundle (tests)
//   session_backoff_initial_ms (5000), session_backoff_max_ms (300000): -14 recovery backoff
//   retry_backoff_initial_ms (2000), retry_backoff_max_ms (30000): other poll failures
//   relogin_after_ms (600000)          persistent -14 this long → status degraded, re-login needed
//   notify_start_timeout_ms (10000), notify_stop_timeout_ms (2000), send_timeout_ms (15000),
//   connect_timeout_ms (10000)
//   dedup_capacity (4096), context_token_capacity (1024): per-account memory bounds
//   typing (bool, true)                answer typing requests with getconfig + sendtyping
//   cdn_base_url (string)              media CDN, default https://novac2c.cdn.weixin.qq.com/c2c
//                                      (used when the server gives no full URL)
//   media_timeout_ms (120000)          deadline of one CDN upload or download (1 s .. 30 min)
//   max_media_bytes (104857600)        largest file uploaded or downloaded (at most 100 MiB)
//
// Thread safety: plain data.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "ilink_protocol.hpp"
#include "session_guard.hpp"

namespace patchbay::weixin {

struct weixin_config {
  std::string bot_token;
  std::string base_url;  // normalized: ends in '/'
  std::string account_id;
  std::string user_id;
  std::string ca_file;
  client_identity identity;
  std::chrono::milliseconds longpolling_timeout{35'000};
  std::chrono::milliseconds notify_start_timeout{10'000};
  std::chrono::milliseconds notify_stop_timeout{2'000};
  std::chrono::milliseconds send_timeout{15'000};
  std::chrono::milliseconds connect_timeout{10'000};
  guard_policy guard;
  std::size_t dedup_capacity = 4096;
  std::size_t context_token_capacity = 1024;
  bool typing = true;
  std::string cdn_base_url;  // no trailing '/'
  std::chrono::milliseconds media_timeout{120'000};
  std::uint64_t max_media_bytes = 100ull << 20;
};

inline constexpr std::string_view default_base_url = "https://ilinkai.weixin.qq.com";
inline constexpr std::string_view default_cdn_base_url = "https://novac2c.cdn.weixin.qq.com/c2c";
// The official client's inbound media cap (§2.3); no upload limit is documented, so patchbay
// takes the same figure for uploads.
inline constexpr int64_t default_max_media_bytes = 100LL << 20;

// Parses and validates; throws std::invalid_argument with a text that never contains a value.
// `plugin_version` fills channel_version / bot_agent defaults.
weixin_config parse_config(std::string_view json_text, std::string_view plugin_version);

}  // namespace patchbay::weixin
