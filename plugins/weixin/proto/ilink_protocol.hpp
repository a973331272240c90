// The iLink bot protocol (docs/protocols/weixin-ilink.md §1-§5) as pure functions: request
// headers and JSON bodies, response parsing and error classification. No I/O, no Asio: the
// transport (weixin_account) calls these and moves bytes.
//
// Ids: `message_id`, `msg_id` and `svr_id` are uint64 on the wire and exceed 2^53; they are read
// as integers or strings and kept as decimal strings, never through a double (§1.6).
//
// Thread safety: every function is pure (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "patchbay/common/url_encode.hpp"
#include "patchbay/pb_types.h"

namespace patchbay::weixin {

using header_list = std::vector<std::pair<std::string, std::string>>;

// Endpoint paths, relative to the account's base URL (which always ends in '/').
namespace path {
inline constexpr std::string_view getupdates = "ilink/bot/getupdates";
inline constexpr std::string_view sendmessage = "ilink/bot/sendmessage";
inline constexpr std::string_view getconfig = "ilink/bot/getconfig";
inline constexpr std::string_view getuploadurl = "ilink/bot/getuploadurl";
inline constexpr std::string_view sendtyping = "ilink/bot/sendtyping";
inline constexpr std::string_view notifystart = "ilink/bot/msg/notifystart";
inline constexpr std::string_view notifystop = "ilink/bot/msg/notifystop";
inline constexpr std::string_view get_bot_qrcode = "ilink/bot/get_bot_qrcode?bot_type=3";
inline constexpr std::string_view get_qrcode_status = "ilink/bot/get_qrcode_status";
}  // namespace path

inline constexpr int64_t session_expired_code = -14;  // errcode or ret (§5.1)

// What this client says about itself on every request (§1.3, §1.4).
struct client_identity {
  std::string app_id = "bot";   // iLink-App-Id
  std::string channel_version;  // base_info.channel_version, e.g. "0.1.0"
  std::string bot_agent;        // base_info.bot_agent, e.g. "patchbay/0.1.0"
  std::string route_tag;        // SKRouteTag header; empty = not sent
};

// "1.2.3" → 1<<16 | 2<<8 | 3 (iLink-App-ClientVersion); parts beyond 255 are clamped, a missing
// or non-numeric part counts as 0.
uint32_t pack_client_version(std::string_view semver);
// X-WECHAT-UIN: base64 of the decimal rendering of a random uint32.
std::string wechat_uin(uint32_t random);
// The base URL with exactly one trailing '/'.
std::string normalize_base_url(std::string_view base);

// Headers of an authenticated POST (token may be empty: then no Authorization header, as for the
// QR-create call). `uin_random` feeds X-WECHAT-UIN.
header_list post_headers(const client_identity& id, std::string_view bot_token,
                         uint32_t uin_random);
// Headers of the QR status GET: only the common ones.
header_list get_headers(const client_identity& id);

// Request bodies (JSON text). Every authenticated body carries base_info.
std::string getupdates_body(const client_identity& id, std::string_view cursor);
std::string notify_body(const client_identity& id);
// One text item; `context_token` omitted when empty; `text` empty → no item_list (§4.1).
std::string sendmessage_body(const client_identity& id, std::string_view to_user,
                             std::string_view text, std::string_view context_token,
                             std::string_view client_id);
std::string getconfig_body(const client_identity& id, std::string_view user,
                           std::string_view context_token);
// status 1 = typing, 2 = cancel.
std::string sendtyping_body(const client_identity& id, std::string_view user,
                            std::string_view typing_ticket, int status);
std::string get_bot_qrcode_body(const std::vector<std::string>& local_tokens);

// "patchbay-weixin:<epoch-ms>-<8 hex>" (§1.6: unique per message; the server may dedup on it).
std::string make_client_id(int64_t now_unix_ms, uint32_t random);
// The client_id of a message the host identifies (its turn id and text): the same for every
// retry of that message, also across host restarts (the host's durable outbound queue resends
// the same payload), so a server that de-duplicates on client_id posts it once:
// "patchbay-weixin:t-<24 hex of sha256(turn_id \n text)>".
std::string make_stable_client_id(std::string_view turn_id, std::string_view text);

// ret / errcode / errmsg of any answer. A field that is absent reads as 0.
struct api_status {
  bool has_ret = false;
  int64_t ret = 0;
  bool has_errcode = false;
  int64_t errcode = 0;
  std::string errmsg;

  bool ok() const { return ret == 0 && errcode == 0; }
  bool session_expired() const {
    return ret == session_expired_code || errcode == session_expired_code;
  }
  // "ret=-2 errcode=0 errmsg=..." for logs (errmsg is the server's text, never a secret of ours).
  std::string describe() const;
};

// One inbound item as the host sees it (pb_attachment; made by ilink_media.hpp read_attachments).
struct inbound_attachment {
  std::string kind;  // "image", "file", "video"; voice is "file" (SILK, not transcoded)
  std::string id;    // ilink_media.hpp encode_media_id, or empty: nothing to download
  std::string name, mime_type;
  uint64_t size = 0;  // plaintext bytes when the item says (file_item.len), else 0
};

// One inbound message, flattened for the host.
struct inbound_message {
  std::string message_id;  // decimal; from message_id, else the first item's msg_id
  std::string dedup_key;   // message_id, else client_id / seq / a digest (never empty)
  std::string from_user;
  std::string to_user;
  std::string context_token;
  std::string text;  // first TEXT item, else a voice transcription, else empty
  std::vector<inbound_attachment> attachments;  // every non-text item, in order
  int64_t create_time_ms = 0;
  int64_t message_type = 0;   // 1 user, 2 bot
  int64_t message_state = 0;  // 0 new, 1 generating, 2 finished
  std::string raw_json;       // the message object as received (ids as the server sent them)
};

struct updates_response {
  api_status status;
  std::vector<inbound_message> msgs;
  std::string cursor;                  // get_updates_buf; empty = keep the previous one
  int64_t longpolling_timeout_ms = 0;  // 0 = not given
};

// Returns nullopt and sets `error` when the body is not a JSON object.
std::optional<updates_response> parse_getupdates(std::string_view body, std::string& error);
// Any other answer: status fields plus the optional string fields below.
struct generic_response {
  api_status status;
  std::string message_id;     // sendmessage: the server id (decimal) if it sent one
  std::string typing_ticket;  // getconfig
};
std::optional<generic_response> parse_generic(std::string_view body, std::string& error);

// A failure as the plugin reports it to the host (pb_error_code + text without secrets).
struct classified_error {
  pb_error_code code = PB_ERR_INTERNAL;
  std::string message;
  int64_t retry_after_ms = 0;
};

// The outcome of one REST call (sendmessage, getconfig, sendtyping, notify*): transport error,
// HTTP status and body → nullopt on success (with `out` filled), else the classification.
// HTTP 2xx with an empty or non-JSON body is a failure (§4.1); so is ret≠0 or errcode≠0.
std::optional<classified_error> classify_rest(std::string_view what,
                                              const std::string& transport_error,
                                              unsigned http_status, std::string_view body,
                                              generic_response& out);

// Classifies a non-zero answer of sendmessage (§4.1, §5.1 tables).
classified_error classify_api_error(std::string_view what, const api_status& st);

// ---- QR login (§1.5) ----
struct qr_code {
  std::string qrcode;       // opaque id, polled with get_qrcode_status
  std::string img_content;  // what to render as a QR code (a URL)
};
std::optional<qr_code> parse_qrcode(std::string_view body, std::string& error);

struct qr_status {
  std::string status;  // wait, scaned, need_verifycode, verify_code_blocked, expired,
                       // scaned_but_redirect, binded_redirect, confirmed; unknown → "wait"
  std::string bot_token, bot_id, base_url, user_id, redirect_host;
};
// Never fails: a non-JSON or unknown answer is "wait" (§1.5).
qr_status parse_qr_status(std::string_view body);

// Percent-encodes a query parameter value (patchbay/common/url_encode.hpp).
using common::url_encode;

}  // namespace patchbay::weixin
