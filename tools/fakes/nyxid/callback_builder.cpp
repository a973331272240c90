#include "callback_builder.hpp"

#include <boost/json/serialize.hpp>
#include <openssl/evp.h>

#include <algorithm>

#include "patchbay/common/digest.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

namespace {

bool is_lark(std::string_view p) { return p == "lark" || p == "feishu"; }

std::string default_chat(std::string_view platform, bool group, id_source& ids) {
  if (is_lark(platform)) return "oc_" + ids.hex(32);
  if (platform == "telegram")
    return group ? "-100" + std::to_string(1000000000 + ids.next(999999999))
                 : std::to_string(100000000 + ids.next(899999999));
  if (platform == "discord") return std::to_string(1100000000000000000ull + ids.next(99999999999999999ull));
  if (platform == "slack") return (group ? "C" : "D") + ids.alnum(10);
  return "chat-" + ids.hex(8);
}

std::string default_sender(std::string_view platform, id_source& ids) {
  if (is_lark(platform)) return "ou_" + ids.hex(32);
  if (platform == "slack") return "U" + ids.alnum(10);
  return std::to_string(200000000 + ids.next(799999999));
}

// The original event as the platform sent it (§1.4 raw_platform_data), in the shape
// nyxid_proto's callback_body reads.
json::object raw_event(std::string_view platform, bool group, const std::string& chat,
                       const std::string& sender, const std::string& platform_msg_id,
                       const std::string& text, const std::string& tenant, id_source& ids,
                       std::int64_t now_ms) {
  if (is_lark(platform)) {
    return json::object{
        {"schema", "2.0"},
        {"header", json::object{{"event_id", ids.hex(32)},
                                {"event_type", "im.message.receive_v1"},
                                {"create_time", std::to_string(now_ms)},
                                {"tenant_key", tenant},
                                {"app_id", "cli_fake" + ids.hex(8)}}},
        {"event",
         json::object{
             {"sender", json::object{{"sender_id", json::object{{"open_id", sender},
                                                                {"union_id", "on_" + ids.hex(32)},
                                                                {"user_id", ids.hex(8)}}},
                                     {"sender_type", "user"},
                                     {"tenant_key", tenant}}},
             {"message", json::object{{"message_id", platform_msg_id},
                                      {"chat_id", chat},
                                      {"chat_type", group ? "group" : "p2p"},
                                      {"message_type", "text"},
                                      {"create_time", std::to_string(now_ms)},
                                      {"content", json::serialize(json::object{{"text", text}})}}}}}};
  }
  if (platform == "telegram") {
    return json::object{
        {"update_id", 500000000 + static_cast<std::int64_t>(ids.next(100000000))},
        {"message",
         json::object{{"message_id", std::stoll(platform_msg_id)},
                      {"date", now_ms / 1000},
                      {"chat", json::object{{"id", std::stoll(chat)},
                                            {"type", group ? "supergroup" : "private"}}},
                      {"from", json::object{{"id", std::stoll(sender)}, {"is_bot", false}}},
                      {"text", text}}}};
  }
  if (platform == "slack") {
    return json::object{{"type", "event_callback"},
                        {"event", json::object{{"type", "message"},
                                               {"channel", chat},
                                               {"channel_type", group ? "channel" : "im"},
                                               {"user", sender},
                                               {"text", text},
                                               {"ts", platform_msg_id}}}};
  }
  if (platform == "discord") {
    json::object o{{"id", platform_msg_id},
                   {"channel_id", chat},
                   {"author", json::object{{"id", sender}}},
                   {"content", text}};
    if (group) o["guild_id"] = std::to_string(1000000000000000000ull + ids.next(99999999999ull));
    return o;
  }
  return json::object{{"chat_id", chat}, {"text", text}};
}

}  // namespace

const std::vector<std::string>& forgery_names() {
  static const std::vector<std::string> names{
      "expired",          "wrong_audience",   "wrong_issuer",        "wrong_token_type",
      "body_altered",     "duplicate_jti",    "unknown_kid",         "bad_signature",
      "wrong_message_id", "claim_message_id", "wrong_api_key_id",    "wrong_platform",
      "jti_mismatch",     "missing_token",    "missing_message_id_header",
      "missing_reply_token", "missing_user_token"};
  return names;
}

std::optional<delivery> build_callback(const json::object& req, callback_context& ctx,
                                       std::int64_t now_ms, std::string& error,
                                       json::object& answer) {
  delivery d;
  // --- the request ---
  if (const json::value* f = req.if_contains("forge")) {
    if (f->is_string()) d.forge.emplace_back(f->get_string());
    if (f->is_array())
      for (const auto& v : f->get_array())
        if (v.is_string()) d.forge.emplace_back(v.get_string());
  }
  for (const auto& f : d.forge) {
    const auto& names = forgery_names();
    if (std::find(names.begin(), names.end(), f) == names.end()) {
      error = "unknown forgery: " + f;
      return std::nullopt;
    }
  }
  const auto forged = [&](std::string_view n) {
    return std::find(d.forge.begin(), d.forge.end(), n) != d.forge.end();
  };
  const std::string platform = lower(json_util::string_at(req, "platform").empty()
                                         ? "lark"
                                         : json_util::string_at(req, "platform"));
  static const std::vector<std::string> platforms{"lark", "feishu", "telegram", "discord", "slack",
                                                  "device"};
  if (std::find(platforms.begin(), platforms.end(), platform) == platforms.end()) {
    error = "platform must be lark, feishu, telegram, discord, slack or device";
    return std::nullopt;
  }
  const std::string chat_type(json_util::string_at(req, "chat_type"));
  if (!chat_type.empty() && chat_type != "dm" && chat_type != "group") {
    error = "chat_type must be dm or group";
    return std::nullopt;
  }
  const bool group = chat_type == "group";
  d.url = json_util::string_at(req, "callback_url").empty()
              ? ctx.callback_url
              : std::string(json_util::string_at(req, "callback_url"));
  if (d.url.rfind("http://", 0) != 0 && d.url.rfind("https://", 0) != 0) {
    error = "no callback_url (set it with --callback-url, /_fake/config or the inject body)";
    return std::nullopt;
  }
  std::string api_key_id(json_util::string_at(req, "api_key_id"));
  if (api_key_id.empty()) api_key_id = ctx.api_key_id;
  const auto* key = ctx.ledger.key_by_id(api_key_id);
  if (!key) {
    error = "unknown api_key_id";
    return std::nullopt;
  }
  std::string chat(json_util::string_at(req, "chat_id"));
  if (chat.empty()) chat = default_chat(platform, group, ctx.ids);
  std::string sender(json_util::string_at(req, "sender_id"));
  if (sender.empty()) sender = default_sender(platform, ctx.ids);
  const std::string sender_name(json_util::string_at(req, "sender_name"));
  const std::string text(json_util::string_at(req, "text"));
  std::string tenant(json_util::string_at(req, "tenant_key"));
  if (tenant.empty()) tenant = "fake-tenant-1";
  const bool per_chat = json_util::string_at(req, "route") == "chat";
  const std::string route_type(json_util::string_at(req, "route_type"));

  // --- the message and its route ---
  auto& conv = ctx.ledger.route_for(platform, chat, per_chat, group ? "group" : "private",
                                    route_type.empty() ? ctx.default_route_type : route_type,
                                    api_key_id);
  relay_ledger::inbound in;
  // A given message_id re-sends that message as a new delivery (fresh jti and reply token): how
  // the NyxID docs describe a retry ("retries mint a fresh jti; idempotency is by message_id").
  in.message_id = json_util::string_at(req, "message_id").empty()
                      ? ctx.ids.uuid()
                      : std::string(json_util::string_at(req, "message_id"));
  in.conversation_id = conv.id;
  in.platform = platform;
  in.chat_id = chat;
  in.platform_message_id = json_util::string_at(req, "platform_message_id").empty()
                               ? ctx.ids.platform_message_id(platform)
                               : std::string(json_util::string_at(req, "platform_message_id"));
  in.time_ms = now_ms;
  json::object token_overrides;
  if (const auto* o = json_util::object_at(req, "reply_token_claims")) token_overrides = *o;
  const std::string reply_token = ctx.ledger.mint_reply_token(in, now_ms, token_overrides);
  in.reply_jti = std::string(
      json_util::string_at(ctx.keys.verify(reply_token).claims, "jti"));  // for records only

  // --- the body ---
  std::string jti = ctx.ids.uuid();
  if (forged("duplicate_jti") && !ctx.last_jti.empty()) jti = ctx.last_jti;
  json::object content;
  if (const json::value* card = req.if_contains("card")) {
    content["type"] = "card_action";
    content["text"] = json::serialize(json::object{{"tag", "button"},
                                                   {"value", *card},
                                                   {"form_value", json::object{}},
                                                   {"open_message_id", in.platform_message_id}});
  } else {
    content["type"] = json_util::string_at(req, "content_type").empty()
                          ? "text"
                          : json_util::string_at(req, "content_type");
    if (!text.empty()) content["text"] = text;
  }
  json::object body;
  body["message_id"] = in.message_id;
  body["correlation_id"] = forged("jti_mismatch") ? ctx.ids.uuid() : jti;
  body["platform"] = platform;
  if (!forged("missing_reply_token")) body["reply_token"] = reply_token;
  body["agent"] = json::object{{"api_key_id", api_key_id}, {"name", key->name}};
  body["conversation"] =
      json::object{{"id", conv.id}, {"platform_id", chat}, {"type", conv.type}};
  json::object snd{{"platform_id", sender}};
  if (!sender_name.empty()) snd["display_name"] = sender_name;
  body["sender"] = std::move(snd);
  body["content"] = std::move(content);
  if (!json_util::string_at(req, "reply_to_platform_message_id").empty())
    body["reply_to_platform_message_id"] = json_util::string_at(req, "reply_to_platform_message_id");
  if (!json_util::string_at(req, "thread_id").empty())
    body["thread_id"] = json_util::string_at(req, "thread_id");
  body["timestamp"] = rfc3339(now_ms);
  if (const json::value* raw = req.if_contains("raw")) {
    if (!raw->is_null()) body["raw_platform_data"] = *raw;  // null: omitted
  } else {
    body["raw_platform_data"] = raw_event(platform, group, chat, sender, in.platform_message_id,
                                          text, tenant, ctx.ids, now_ms);
  }
  d.body = json::serialize(body);

  // --- the callback JWT ---
  const std::int64_t now = now_ms / 1000;
  json::object claims{{"iss", forged("wrong_issuer") ? "https://wrong-issuer.invalid" : ctx.issuer},
                      {"aud", forged("wrong_audience") ? reply_audience : callback_audience},
                      {"exp", forged("expired") ? now - 600 : now + ctx.callback_ttl_s},
                      {"iat", forged("expired") ? now - 600 - ctx.callback_ttl_s : now},
                      {"jti", jti},
                      {"token_type", forged("wrong_token_type") ? "relay_reply" : "relay_callback"},
                      {"api_key_id", forged("wrong_api_key_id") ? ctx.ids.uuid() : api_key_id},
                      {"message_id", forged("claim_message_id") ? ctx.ids.uuid() : in.message_id},
                      {"platform", forged("wrong_platform") ? (platform == "slack" ? "discord" : "slack")
                                                            : platform},
                      {"body_sha256", patchbay::common::sha256_hex(d.body)}};
  std::string token = forged("unknown_kid") ? sign_jwt(ctx.keys.unpublished(), claims)
                                            : ctx.keys.sign(claims);
  if (forged("bad_signature")) {
    const auto dot = token.rfind('.');
    char& c = token[dot + 10];  // a middle character: stays canonical base64url
    c = c == 'A' ? 'B' : 'A';
  }
  if (forged("body_altered")) {
    body["content"].as_object()["text"] = text + " (altered after signing)";
    d.body = json::serialize(body);
  }

  // --- headers (§1.2) ---
  if (!forged("missing_token")) d.headers.emplace_back("X-NyxID-Callback-Token", token);
  if (ctx.legacy_signature)
    d.headers.emplace_back("X-NyxID-Signature", patchbay::common::hex(patchbay::common::hmac_sha256(patchbay::common::sha256_hex(key->key), d.body)));
  if (!forged("missing_message_id_header"))
    d.headers.emplace_back("X-NyxID-Message-Id",
                           forged("wrong_message_id") ? ctx.ids.uuid() : in.message_id);
  d.headers.emplace_back("X-NyxID-Timestamp", rfc3339(now_ms));
  d.headers.emplace_back("X-NyxID-Platform", platform);
  if (!forged("missing_user_token") && !(req.contains("user_token") && req.at("user_token") == false)) {
    json::object user{{"iss", ctx.issuer},        {"sub", "bot-owner-" + api_key_id.substr(0, 8)},
                      {"aud", "nyxid"},           {"iat", now},
                      {"exp", now + ctx.user_token_ttl_s}, {"jti", ctx.ids.uuid()},
                      {"scope", "openid profile email proxy"}, {"token_type", "user"}};
    d.headers.emplace_back("X-NyxID-User-Token", ctx.keys.sign(user));
  }

  d.message_id = in.message_id;
  d.jti = jti;
  d.platform = platform;
  ctx.last_jti = jti;
  json::array forge;
  for (const auto& f : d.forge) forge.push_back(json::string(f));
  answer = json::object{{"message_id", in.message_id},
                        {"correlation_id", jti},
                        {"conversation_id", conv.id},
                        {"platform", platform},
                        {"chat_id", chat},
                        {"sender_id", sender},
                        {"platform_message_id", in.platform_message_id},
                        {"reply_token", reply_token},
                        {"reply_jti", in.reply_jti},
                        {"forge", std::move(forge)}};
  ctx.ledger.add_inbound(std::move(in));
  return d;
}

}  // namespace patchbay::fakes::nyxid
