#include "callback_builder.hpp"

#include <boost/json/serialize.hpp>

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
  if (platform == "discord")
    return std::to_string(1100000000000000000ull + ids.next(99999999999999999ull));
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
             {"message",
              json::object{{"message_id", platform_msg_id},
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

// The forgeries an inject body asks for.
struct forgeries {
  std::vector<std::string> names;
  bool operator()(std::string_view n) const {
    return std::find(names.begin(), names.end(), n) != names.end();
  }
};

// The inject body's fields, checked, with the defaults filled in.
struct inject_request {
  std::string platform;
  bool group = false;
  std::string url;
  std::string api_key_id;
  const relay_ledger::api_key* key = nullptr;
  std::string chat;
  std::string sender;
  std::string sender_name;
  std::string text;
  std::string tenant;
  bool per_chat = false;
  std::string route_type;
};

// The "forge" field: a name or a list of names, each one of forgery_names().
bool read_forgeries(const json::object& req, forgeries& out, std::string& error) {
  if (const json::value* f = req.if_contains("forge")) {
    if (f->is_string()) out.names.emplace_back(f->get_string());
    if (f->is_array())
      for (const auto& v : f->get_array())
        if (v.is_string()) out.names.emplace_back(v.get_string());
  }
  for (const auto& f : out.names) {
    const auto& names = forgery_names();
    if (std::find(names.begin(), names.end(), f) == names.end()) {
      error = "unknown forgery: " + f;
      return false;
    }
  }
  return true;
}

// Checks the request and fills in its defaults. Nothing is recorded; ids are drawn only for a
// missing chat or sender.
std::optional<inject_request> read_inject_request(const json::object& req, callback_context& ctx,
                                                  std::string& error) {
  inject_request r;
  r.platform =
      lower(json_util::string_at(req, "platform").empty() ? "lark"
                                                          : json_util::string_at(req, "platform"));
  static const std::vector<std::string> platforms{"lark",    "feishu", "telegram",
                                                  "discord", "slack",  "device"};
  if (std::find(platforms.begin(), platforms.end(), r.platform) == platforms.end()) {
    error = "platform must be lark, feishu, telegram, discord, slack or device";
    return std::nullopt;
  }
  const std::string chat_type(json_util::string_at(req, "chat_type"));
  if (!chat_type.empty() && chat_type != "dm" && chat_type != "group") {
    error = "chat_type must be dm or group";
    return std::nullopt;
  }
  r.group = chat_type == "group";
  r.url = json_util::string_at(req, "callback_url").empty()
              ? ctx.callback_url
              : std::string(json_util::string_at(req, "callback_url"));
  if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0) {
    error = "no callback_url (set it with --callback-url, /_fake/config or the inject body)";
    return std::nullopt;
  }
  r.api_key_id = json_util::string_at(req, "api_key_id");
  if (r.api_key_id.empty()) r.api_key_id = ctx.api_key_id;
  r.key = ctx.ledger.key_by_id(r.api_key_id);
  if (!r.key) {
    error = "unknown api_key_id";
    return std::nullopt;
  }
  r.chat = json_util::string_at(req, "chat_id");
  if (r.chat.empty()) r.chat = default_chat(r.platform, r.group, ctx.ids);
  r.sender = json_util::string_at(req, "sender_id");
  if (r.sender.empty()) r.sender = default_sender(r.platform, ctx.ids);
  r.sender_name = json_util::string_at(req, "sender_name");
  r.text = json_util::string_at(req, "text");
  r.tenant = json_util::string_at(req, "tenant_key");
  if (r.tenant.empty()) r.tenant = "fake-tenant-1";
  r.per_chat = json_util::string_at(req, "route") == "chat";
  r.route_type = json_util::string_at(req, "route_type");
  return r;
}

// The inbound message on its route (not yet recorded), with its reply token minted.
relay_ledger::inbound make_inbound(const json::object& req, callback_context& ctx,
                                   const inject_request& r, const relay_ledger::conversation& conv,
                                   std::int64_t now_ms, std::string& reply_token) {
  relay_ledger::inbound in;
  // A given message_id re-sends that message as a new delivery (fresh jti and reply token): how
  // the NyxID docs describe a retry ("retries mint a fresh jti; idempotency is by message_id").
  in.message_id = json_util::string_at(req, "message_id").empty()
                      ? ctx.ids.uuid()
                      : std::string(json_util::string_at(req, "message_id"));
  in.conversation_id = conv.id;
  in.platform = r.platform;
  in.chat_id = r.chat;
  in.platform_message_id = json_util::string_at(req, "platform_message_id").empty()
                               ? ctx.ids.platform_message_id(r.platform)
                               : std::string(json_util::string_at(req, "platform_message_id"));
  in.time_ms = now_ms;
  json::object token_overrides;
  if (const auto* o = json_util::object_at(req, "reply_token_claims")) token_overrides = *o;
  reply_token = ctx.ledger.mint_reply_token(in, now_ms, token_overrides);
  in.reply_jti = std::string(
      json_util::string_at(ctx.keys.verify(reply_token).claims, "jti"));  // for records only
  return in;
}

json::object message_content(const json::object& req, const inject_request& r,
                             const relay_ledger::inbound& in) {
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
    if (!r.text.empty()) content["text"] = r.text;
    // content.attachments[] (§1.4) as the test gives them.
    if (const json::value* a = req.if_contains("attachments"); a && a->is_array())
      content["attachments"] = *a;
  }
  return content;
}

// The callback body (§1.1), before any body_altered forgery.
json::object callback_body(const json::object& req, callback_context& ctx, const inject_request& r,
                           const relay_ledger::inbound& in, const relay_ledger::conversation& conv,
                           const std::string& reply_token, const std::string& jti,
                           const forgeries& forged, std::int64_t now_ms) {
  json::object content = message_content(req, r, in);
  json::object body;
  body["message_id"] = in.message_id;
  body["correlation_id"] = forged("jti_mismatch") ? ctx.ids.uuid() : jti;
  body["platform"] = r.platform;
  if (!forged("missing_reply_token")) body["reply_token"] = reply_token;
  body["agent"] = json::object{{"api_key_id", r.api_key_id}, {"name", r.key->name}};
  body["conversation"] =
      json::object{{"id", conv.id}, {"platform_id", r.chat}, {"type", conv.type}};
  json::object snd{{"platform_id", r.sender}};
  if (!r.sender_name.empty()) snd["display_name"] = r.sender_name;
  body["sender"] = std::move(snd);
  body["content"] = std::move(content);
  if (!json_util::string_at(req, "reply_to_platform_message_id").empty())
    body["reply_to_platform_message_id"] =
        json_util::string_at(req, "reply_to_platform_message_id");
  if (!json_util::string_at(req, "thread_id").empty())
    body["thread_id"] = json_util::string_at(req, "thread_id");
  // `timestamp_ms` pins the message's time (a re-push under new ids keeps the original's).
  body["timestamp"] = rfc3339(json_util::int_at(req, "timestamp_ms").value_or(now_ms));
  if (const json::value* raw = req.if_contains("raw")) {
    if (!raw->is_null()) body["raw_platform_data"] = *raw;  // null: omitted
  } else {
    body["raw_platform_data"] =
        raw_event(r.platform, r.group, r.chat, r.sender, in.platform_message_id, r.text, r.tenant,
                  ctx.ids, now_ms);
  }
  return body;
}

// The callback JWT over the body bytes, forged as asked.
std::string callback_token(callback_context& ctx, const inject_request& r,
                           const relay_ledger::inbound& in, const std::string& jti,
                           const std::string& body_bytes, const forgeries& forged,
                           std::int64_t now) {
  const std::string& platform = r.platform;
  json::object claims{
      {"iss", forged("wrong_issuer") ? "https://wrong-issuer.invalid" : ctx.issuer},
      {"aud", forged("wrong_audience") ? reply_audience : callback_audience},
      {"exp", forged("expired") ? now - 600 : now + ctx.callback_ttl_s},
      {"iat", forged("expired") ? now - 600 - ctx.callback_ttl_s : now},
      {"jti", jti},
      {"token_type", forged("wrong_token_type") ? "relay_reply" : "relay_callback"},
      {"api_key_id", forged("wrong_api_key_id") ? ctx.ids.uuid() : r.api_key_id},
      {"message_id", forged("claim_message_id") ? ctx.ids.uuid() : in.message_id},
      {"platform",
       forged("wrong_platform") ? (platform == "slack" ? "discord" : "slack") : platform},
      {"body_sha256", patchbay::common::sha256_hex(body_bytes)}};
  std::string token =
      forged("unknown_kid") ? sign_jwt(ctx.keys.unpublished(), claims) : ctx.keys.sign(claims);
  if (forged("bad_signature")) {
    const auto dot = token.rfind('.');
    char& c = token[dot + 10];  // a middle character: stays canonical base64url
    c = c == 'A' ? 'B' : 'A';
  }
  return token;
}

// The §1.2 headers.
void add_headers(delivery& d, const json::object& req, callback_context& ctx,
                 const inject_request& r, const relay_ledger::inbound& in, const std::string& token,
                 const forgeries& forged, std::int64_t now_ms) {
  const std::int64_t now = now_ms / 1000;
  if (!forged("missing_token")) d.headers.emplace_back("X-NyxID-Callback-Token", token);
  if (ctx.legacy_signature)
    d.headers.emplace_back("X-NyxID-Signature",
                           patchbay::common::hex(patchbay::common::hmac_sha256(
                               patchbay::common::sha256_hex(r.key->key), d.body)));
  if (!forged("missing_message_id_header"))
    d.headers.emplace_back("X-NyxID-Message-Id",
                           forged("wrong_message_id") ? ctx.ids.uuid() : in.message_id);
  d.headers.emplace_back("X-NyxID-Timestamp", rfc3339(now_ms));
  d.headers.emplace_back("X-NyxID-Platform", r.platform);
  if (!forged("missing_user_token") &&
      !(req.contains("user_token") && req.at("user_token") == false)) {
    json::object user{{"iss", ctx.issuer},
                      {"sub", "bot-owner-" + r.api_key_id.substr(0, 8)},
                      {"aud", "nyxid"},
                      {"iat", now},
                      {"exp", now + ctx.user_token_ttl_s},
                      {"jti", ctx.ids.uuid()},
                      {"scope", "openid profile email proxy"},
                      {"token_type", "user"}};
    d.headers.emplace_back("X-NyxID-User-Token", ctx.keys.sign(user));
  }
}

// What POST /_fake/inject answers.
json::object inject_answer(const inject_request& r, const relay_ledger::inbound& in,
                           const relay_ledger::conversation& conv, const std::string& jti,
                           const std::string& reply_token, const forgeries& forged) {
  json::array forge;
  for (const auto& f : forged.names) forge.push_back(json::string(f));
  return json::object{{"message_id", in.message_id},
                      {"correlation_id", jti},
                      {"conversation_id", conv.id},
                      {"platform", r.platform},
                      {"chat_id", r.chat},
                      {"sender_id", r.sender},
                      {"platform_message_id", in.platform_message_id},
                      {"reply_token", reply_token},
                      {"reply_jti", in.reply_jti},
                      {"forge", std::move(forge)}};
}

}  // namespace

const std::vector<std::string>& forgery_names() {
  static const std::vector<std::string> names{"expired",
                                              "wrong_audience",
                                              "wrong_issuer",
                                              "wrong_token_type",
                                              "body_altered",
                                              "duplicate_jti",
                                              "unknown_kid",
                                              "bad_signature",
                                              "wrong_message_id",
                                              "claim_message_id",
                                              "wrong_api_key_id",
                                              "wrong_platform",
                                              "jti_mismatch",
                                              "missing_token",
                                              "missing_message_id_header",
                                              "missing_reply_token",
                                              "missing_user_token"};
  return names;
}

std::optional<delivery> build_callback(const json::object& req, callback_context& ctx,
                                       std::int64_t now_ms, std::string& error,
                                       json::object& answer) {
  forgeries forged;
  if (!read_forgeries(req, forged, error)) return std::nullopt;
  const auto r = read_inject_request(req, ctx, error);
  if (!r) return std::nullopt;

  auto& conv = ctx.ledger.route_for(
      r->platform, r->chat, r->per_chat, r->group ? "group" : "private",
      r->route_type.empty() ? ctx.default_route_type : r->route_type, r->api_key_id);
  std::string reply_token;
  relay_ledger::inbound in = make_inbound(req, ctx, *r, conv, now_ms, reply_token);

  delivery d;
  d.url = r->url;
  std::string jti = ctx.ids.uuid();
  if (forged("duplicate_jti") && !ctx.last_jti.empty()) jti = ctx.last_jti;
  json::object body = callback_body(req, ctx, *r, in, conv, reply_token, jti, forged, now_ms);
  d.body = json::serialize(body);
  const std::string token = callback_token(ctx, *r, in, jti, d.body, forged, now_ms / 1000);
  if (forged("body_altered")) {
    body["content"].as_object()["text"] = r->text + " (altered after signing)";
    d.body = json::serialize(body);
  }
  add_headers(d, req, ctx, *r, in, token, forged, now_ms);

  d.message_id = in.message_id;
  d.jti = jti;
  d.platform = r->platform;
  d.forge = forged.names;
  ctx.last_jti = jti;
  answer = inject_answer(*r, in, conv, jti, reply_token, forged);
  ctx.ledger.add_inbound(std::move(in));
  return d;
}

}  // namespace patchbay::fakes::nyxid
