// Feishu/Lark family: endpoint discovery before every WebSocket connect, and the verdict on a
// refused upgrade (docs/protocols/feishu-lark.md §2.1–2.2).
//
//   POST {domain}/callback/ws/endpoint   headers: locale: zh, Content-Type: application/json
//   body     {"AppID":"cli_…","AppSecret":"…"}            (the raw secret, not a tenant token)
//   answer   {"code":0,"msg":"ok","data":{"URL":"wss://…?…&device_id=D&service_id=S…",
//             "ClientConfig":{"ReconnectCount":-1,"ReconnectInterval":120,"ReconnectNonce":30,
//                             "PingInterval":120}}}
//
// Classification (go/py-sdk, which the note recommends over node): an HTTP status other than 2xx,
// a body that is not JSON, code 1 (system busy) and code 1000040343 (internal error) are
// retryable; every other non-zero code is fatal (403 forbidden, 514 auth failed, 1000040344
// credentials missing, 1000040345 / 1000040351 seen for bad credentials or wrong domain,
// 1000040350 connection limit …): the supervisor reports `failed` and retries only slowly.
// A success without a usable ClientConfig keeps the defaults (config_defaulted) instead of
// crashing or spinning as the SDKs do; a success without a ws(s) URL is retryable.
// Pure functions; thread-safe. Error texts never contain the secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "feishu_lark/proto/ws_frames.hpp"

namespace patchbay::plugins::feishu_family {

inline constexpr std::string_view endpoint_path = "/callback/ws/endpoint";

// The body carries the app secret: send it, never log it.
std::string endpoint_request_body(std::string_view app_id, std::string_view app_secret);

namespace endpoint_code {
inline constexpr int64_t ok = 0;
inline constexpr int64_t system_busy = 1;
inline constexpr int64_t forbidden = 403;
inline constexpr int64_t auth_failed = 514;
inline constexpr int64_t internal_error = 1000040343;
inline constexpr int64_t credentials_missing = 1000040344;
inline constexpr int64_t invalid_credentials_obs = 1000040345;  // observed, meaning UNVERIFIED
inline constexpr int64_t connection_limit = 1000040350;
inline constexpr int64_t wrong_domain_obs = 1000040351;  // observed, meaning UNVERIFIED
}  // namespace endpoint_code

enum class discovery_outcome { ok, retryable, fatal };
discovery_outcome classify_endpoint_code(int64_t code);

struct endpoint_result {
  discovery_outcome outcome = discovery_outcome::retryable;
  int http_status = 0;
  int64_t code = 0;
  std::string msg;     // the platform's msg
  std::string reason;  // for logs and status (no secrets)
  std::string url;     // ok: the URL to dial
  std::string device_id;
  int32_t service_id = 0;  // 0 when absent or not an int32 (as go-sdk)
  client_config config;
  bool config_defaulted =
      false;  // ClientConfig missing or invalid: defaults kept (reason says why)
};

endpoint_result parse_endpoint_response(int http_status, std::string_view body,
                                        const client_config_bounds& bounds = {});

// The value of query parameter `name` in `url` (percent-decoded, '+' as space), nullopt when
// absent. Parses the query properly: unlike node-sdk, the first parameter is found too.
std::optional<std::string> query_param(std::string_view url, std::string_view name);

// A refused upgrade (any status but 101) with its Handshake-Status / Handshake-Msg /
// Handshake-Autherrcode response headers (case-insensitive names; pass "" when absent). Fatal as in
// go/py: Handshake-Status 403, or 514 with auth code 1000040350 (connection limit); anything else,
// including absent or garbled headers, is retryable.
struct handshake_verdict {
  bool fatal = false;
  int64_t handshake_status = 0;
  int64_t auth_code = 0;
  std::string reason;
};
handshake_verdict classify_handshake_failure(int http_status, std::string_view handshake_status,
                                             std::string_view handshake_msg,
                                             std::string_view handshake_autherrcode);

}  // namespace patchbay::plugins::feishu_family
