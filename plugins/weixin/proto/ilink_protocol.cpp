#include "ilink_protocol.hpp"
#include "ilink_json.hpp"
#include "ilink_media.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <boost/json.hpp>
#include "patchbay/common/json_util.hpp"

namespace patchbay::weixin {
namespace json = boost::json;
namespace {

json::object base_info(const client_identity& id) {
  return json::object{{"channel_version", id.channel_version}, {"bot_agent", id.bot_agent}};
}

// An id field: JSON integer (any width up to 64 bits) or non-empty string. A double (fraction,
// exponent, or beyond 64 bits) cannot be trusted to be exact and is refused.
std::optional<std::string> id_string(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (v->is_string() && !v->get_string().empty()) return std::string(v->get_string());
  return std::nullopt;
}

std::string string_field(const json::object& o, std::string_view key) {
  return std::string(common::json_util::string_at(o, key));
}

std::optional<int64_t> int_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->get_double());
  if (v->is_string()) {
    int64_t n = 0;
    const auto& s = v->get_string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc{} && p == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

api_status read_status(const json::object& o) {
  api_status st;
  if (auto r = int_field(o, "ret")) st.has_ret = true, st.ret = *r;
  if (auto e = int_field(o, "errcode")) st.has_errcode = true, st.errcode = *e;
  st.errmsg = string_field(o, "errmsg");
  return st;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::optional<inbound_message> read_message(const json::object& o) {
  inbound_message m;
  if (auto id = id_string(o.if_contains("message_id"))) {
    m.message_id = *id;
  } else if (const json::value* items = o.if_contains("item_list");
             items && items->is_array() && !items->get_array().empty() &&
             items->get_array()[0].is_object()) {
    if (auto mid = id_string(items->get_array()[0].get_object().if_contains("msg_id")))
      m.message_id = *mid;
  }
  m.from_user = string_field(o, "from_user_id");
  m.to_user = string_field(o, "to_user_id");
  m.context_token = string_field(o, "context_token");
  m.create_time_ms = int_field(o, "create_time_ms").value_or(0);
  m.message_type = int_field(o, "message_type").value_or(0);
  m.message_state = int_field(o, "message_state").value_or(0);
  // §2.3: the first TEXT item; else a voice transcription; media items become attachments (no
  // placeholder text: a message of media only has empty text).
  std::string voice_text;
  m.attachments = read_attachments(o, voice_text);
  if (const json::value* items = o.if_contains("item_list"); items && items->is_array()) {
    for (const auto& it : items->get_array()) {
      if (!it.is_object() || int_field(it.get_object(), "type").value_or(0) != 1) continue;
      if (const json::value* t = it.get_object().if_contains("text_item"); t && t->is_object()) {
        m.text = string_field(t->get_object(), "text");
        break;
      }
    }
  }
  if (m.text.empty()) m.text = std::move(voice_text);
  m.raw_json = json::serialize(o);
  // §7.1: a stable key in priority message_id → client_id → seq → digest of text and time.
  if (!m.message_id.empty()) {
    m.dedup_key = m.message_id;
  } else if (auto cid = string_field(o, "client_id"); !cid.empty()) {
    m.dedup_key = "cid:" + cid;
  } else if (auto seq = int_field(o, "seq")) {
    m.dedup_key = "seq:" + std::to_string(*seq);
  } else {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(fnv1a(m.from_user + '\x1f' + m.text + '\x1f' +
                                                        std::to_string(m.create_time_ms))));
    m.dedup_key = std::string("digest:") + buf;
  }
  if (m.from_user.empty()) return std::nullopt;  // nobody to answer
  return m;
}

std::optional<json::object> parse_object(std::string_view body, std::string& error) {
  if (body.empty()) {
    error = "empty body";
    return std::nullopt;
  }
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    error = ec ? "body is not JSON (" + ec.message() + ")" : "body is not a JSON object";
    return std::nullopt;
  }
  return std::move(v.get_object());
}

}  // namespace

uint32_t pack_client_version(std::string_view semver) {
  uint32_t parts[3] = {0, 0, 0};
  for (int i = 0; i < 3 && !semver.empty(); ++i) {
    const auto dot = semver.find('.');
    std::string_view p = semver.substr(0, dot);
    uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    (void)ptr;
    parts[i] = ec == std::errc{} ? std::min<uint32_t>(n, 255) : 0;
    if (dot == std::string_view::npos) break;
    semver.remove_prefix(dot + 1);
  }
  return parts[0] << 16 | parts[1] << 8 | parts[2];
}

std::string wechat_uin(uint32_t random) { return common::base64_encode(std::to_string(random)); }

std::string normalize_base_url(std::string_view base) {
  std::string out(base);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out + '/';
}

header_list get_headers(const client_identity& id) {
  header_list h{
      {"iLink-App-Id", id.app_id},
      {"iLink-App-ClientVersion", std::to_string(pack_client_version(id.channel_version))}};
  if (!id.route_tag.empty()) h.emplace_back("SKRouteTag", id.route_tag);
  return h;
}

header_list post_headers(const client_identity& id, std::string_view bot_token,
                         uint32_t uin_random) {
  header_list h = get_headers(id);
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("AuthorizationType", "ilink_bot_token");
  h.emplace_back("X-WECHAT-UIN", wechat_uin(uin_random));
  if (!bot_token.empty()) h.emplace_back("Authorization", "Bearer " + std::string(bot_token));
  return h;
}

std::string getupdates_body(const client_identity& id, std::string_view cursor) {
  return json::serialize(json::object{{"get_updates_buf", cursor}, {"base_info", base_info(id)}});
}

std::string notify_body(const client_identity& id) {
  return json::serialize(json::object{{"base_info", base_info(id)}});
}

json::object base_info_json(const client_identity& id) { return base_info(id); }

json::object sendmessage_msg(std::string_view to_user, std::string_view context_token,
                             std::string_view client_id) {
  json::object msg{{"from_user_id", ""},
                   {"to_user_id", to_user},
                   {"client_id", client_id},
                   {"message_type", 2},
                   {"message_state", 2}};
  if (!context_token.empty()) msg["context_token"] = context_token;
  return msg;
}

std::string sendmessage_body(const client_identity& id, std::string_view to_user,
                             std::string_view text, std::string_view context_token,
                             std::string_view client_id) {
  json::object msg = sendmessage_msg(to_user, context_token, client_id);
  if (!text.empty())
    msg["item_list"] = json::array{json::object{{"type", 1}, {"text_item", {{"text", text}}}}};
  return json::serialize(json::object{{"msg", std::move(msg)}, {"base_info", base_info(id)}});
}

std::string getconfig_body(const client_identity& id, std::string_view user,
                           std::string_view context_token) {
  json::object o{{"ilink_user_id", user}};
  if (!context_token.empty()) o["context_token"] = context_token;
  o["base_info"] = base_info(id);
  return json::serialize(o);
}

std::string sendtyping_body(const client_identity& id, std::string_view user,
                            std::string_view typing_ticket, int status) {
  return json::serialize(json::object{{"ilink_user_id", user},
                                      {"typing_ticket", typing_ticket},
                                      {"status", status},
                                      {"base_info", base_info(id)}});
}

std::string get_bot_qrcode_body(const std::vector<std::string>& local_tokens) {
  json::array arr;
  for (std::size_t i = 0; i < local_tokens.size() && i < 10; ++i) arr.emplace_back(local_tokens[i]);
  return json::serialize(json::object{{"local_token_list", std::move(arr)}});
}

std::string make_client_id(int64_t now_unix_ms, uint32_t random) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "patchbay-weixin:%lld-%08x", static_cast<long long>(now_unix_ms),
                random);
  return buf;
}

std::string make_stable_client_id(std::string_view turn_id, std::string_view text) {
  std::string seed(turn_id);
  seed.append("\n").append(text);
  return "patchbay-weixin:t-" + common::sha256_hex(seed).substr(0, 24);
}

std::string api_status::describe() const {
  std::string s = "ret=" + (has_ret ? std::to_string(ret) : std::string("(none)")) +
                  " errcode=" + (has_errcode ? std::to_string(errcode) : std::string("(none)"));
  if (!errmsg.empty()) s += " errmsg=\"" + errmsg.substr(0, 200) + "\"";
  return s;
}

std::optional<updates_response> parse_getupdates(std::string_view body, std::string& error) {
  auto obj = parse_object(body, error);
  if (!obj) return std::nullopt;
  updates_response r;
  r.status = read_status(*obj);
  r.cursor = string_field(*obj, "get_updates_buf");
  r.longpolling_timeout_ms = int_field(*obj, "longpolling_timeout_ms").value_or(0);
  if (const json::value* msgs = obj->if_contains("msgs"); msgs && msgs->is_array()) {
    for (const auto& m : msgs->get_array())
      if (m.is_object())
        if (auto in = read_message(m.get_object())) r.msgs.push_back(std::move(*in));
  }
  return r;
}

std::optional<generic_response> parse_generic(std::string_view body, std::string& error) {
  auto obj = parse_object(body, error);
  if (!obj) return std::nullopt;
  generic_response r;
  r.status = read_status(*obj);
  r.message_id = id_string(obj->if_contains("message_id")).value_or("");
  r.typing_ticket = string_field(*obj, "typing_ticket");
  return r;
}

classified_error classify_api_error(std::string_view what, const api_status& st) {
  const std::string prefix = std::string(what) + " refused (" + st.describe() + ")";
  if (st.session_expired())
    return {PB_ERR_AUTH, prefix + ": bot session expired; if it persists, log in again", 0};
  const int64_t code = st.ret != 0 ? st.ret : st.errcode;
  if (code == -3)
    return {PB_ERR_INVALID_INPUT, prefix + ": context token missing or bad recipient", 0};
  if (code == -2) {
    if (st.errmsg.find("freq") != std::string::npos)
      return {PB_ERR_RATE_LIMITED, prefix + ": rate limited", 2'000};
    if (st.errmsg.find("prepare") != std::string::npos)
      return {PB_ERR_REJECTED, prefix + ": prepare failed (text too long or reply window over)", 0};
    return {PB_ERR_REJECTED,
            prefix + ": context token stale or its reply budget used up (user must write again)",
            0};
  }
  return {PB_ERR_REJECTED, prefix, 0};
}

std::optional<classified_error> classify_rest(std::string_view what,
                                              const std::string& transport_error,
                                              unsigned http_status, std::string_view body,
                                              generic_response& out) {
  const std::string w(what);
  if (!transport_error.empty())
    return classified_error{PB_ERR_RETRYABLE, w + ": " + transport_error};
  if (http_status == 429) return classified_error{PB_ERR_RATE_LIMITED, w + ": HTTP 429", 1'000};
  if (http_status == 401 || http_status == 403)
    return classified_error{PB_ERR_AUTH, w + ": HTTP " + std::to_string(http_status)};
  if (http_status >= 500 || http_status == 408)
    return classified_error{PB_ERR_RETRYABLE, w + ": HTTP " + std::to_string(http_status)};
  if (http_status < 200 || http_status >= 300)
    return classified_error{PB_ERR_REJECTED, w + ": HTTP " + std::to_string(http_status)};
  std::string error;
  auto parsed = parse_generic(body, error);
  if (!parsed) return classified_error{PB_ERR_RETRYABLE, w + ": unusable answer: " + error};
  out = std::move(*parsed);
  if (!out.status.ok()) return classify_api_error(what, out.status);
  return std::nullopt;
}

std::optional<qr_code> parse_qrcode(std::string_view body, std::string& error) {
  auto obj = parse_object(body, error);
  if (!obj) return std::nullopt;
  qr_code q{string_field(*obj, "qrcode"), string_field(*obj, "qrcode_img_content")};
  if (q.qrcode.empty()) {
    api_status st = read_status(*obj);
    error = "no qrcode in the answer (" + st.describe() + ")";
    return std::nullopt;
  }
  return q;
}

qr_status parse_qr_status(std::string_view body) {
  qr_status s;
  s.status = "wait";
  std::string error;
  auto obj = parse_object(body, error);
  if (!obj) return s;
  static constexpr std::string_view known[] = {"wait",
                                               "scaned",
                                               "need_verifycode",
                                               "verify_code_blocked",
                                               "expired",
                                               "scaned_but_redirect",
                                               "binded_redirect",
                                               "confirmed"};
  std::string st = string_field(*obj, "status");
  if (std::find(std::begin(known), std::end(known), st) != std::end(known)) s.status = st;
  s.bot_token = string_field(*obj, "bot_token");
  s.bot_id = string_field(*obj, "ilink_bot_id");
  s.base_url = string_field(*obj, "baseurl");
  s.user_id = string_field(*obj, "ilink_user_id");
  s.redirect_host = string_field(*obj, "redirect_host");
  return s;
}

}  // namespace patchbay::weixin
