// relay_ledger: POST /api/v1/channel-relay/reply and /reply/update (docs/protocols/nyxid-relay.md
// §2.1–§2.3), every check in the note's order, the first failure deciding.
#include <boost/json/serialize.hpp>

#include "patchbay/common/base64.hpp"
#include "patchbay/common/json_util.hpp"
#include "relay_ledger.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

namespace {

relay_answer unauthorized(std::string why) {
  return envelope(401, "unauthorized", 1001, "Unauthorized: " + std::move(why));
}
relay_answer not_found(std::string why) {
  return envelope(404, "not_found", 1003, "Not found: " + std::move(why));
}
relay_answer validation(std::string why) {
  return envelope(400, "validation_error", 1008, "Validation error: " + std::move(why));
}

std::string_view bearer(std::string_view authorization) {
  if (authorization.size() > 7 && iequals(authorization.substr(0, 7), "bearer "))
    return authorization.substr(7);
  return {};
}

// NyxID decodes the payload WITHOUT verifying it, only to pick the path (§2.1).
bool targets_reply_audience(std::string_view token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return false;
  auto payload = patchbay::common::base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return false;
  auto v = json_util::parse(*payload);
  if (!v || !v->is_object()) return false;
  const json::value* aud = v->get_object().if_contains("aud");
  if (aud && aud->is_string()) return aud->get_string() == reply_audience;
  if (aud && aud->is_array())
    for (const auto& a : aud->get_array())
      if (a.is_string() && a.get_string() == reply_audience) return true;
  return false;
}

bool is_lark(std::string_view platform) { return platform == "lark" || platform == "feishu"; }

struct reply_body {
  std::string message_id;
  std::string text;
  json::value metadata;
  bool has_card = false;
};

std::optional<reply_body> parse_reply_body(std::string_view body) {
  auto v = json_util::parse(body);
  if (!v || !v->is_object()) return std::nullopt;
  const json::object& o = v->get_object();
  reply_body b;
  b.message_id = std::string(json_util::string_at(o, "message_id"));
  const json::object* reply = json_util::object_at(o, "reply");
  if (b.message_id.empty() || !reply) return std::nullopt;
  b.text = std::string(json_util::string_at(*reply, "text"));
  if (const json::value* m = reply->if_contains("metadata"); m && !m->is_null()) {
    if (!m->is_object()) return std::nullopt;
    b.metadata = *m;
    b.has_card = m->get_object().contains("card");
  }
  return b;
}

// Check 12 (and edit step 7).
std::optional<relay_answer> validate_reply(const reply_body& b, std::string_view platform) {
  if (b.has_card && !is_lark(platform)) {
    return validation("metadata.card is only supported on Lark/Feishu (got platform=" +
                      std::string(platform) + ")");
  }
  if (b.text.find_first_not_of(" \t\r\n") == std::string::npos && !b.has_card)
    return validation("Reply must include non-empty text or metadata.card");
  return std::nullopt;
}

// lark.rs classify_edit_error (§2.3).
unsigned lark_edit_status(std::int64_t code) {
  if (code == 230020) return 429;
  if (code == 230011 || code == 230031 || code == 230050 || (code >= 230071 && code <= 230075) ||
      code == 230110)
    return 409;
  if (code == 230001 || code == 230022 || code == 230025 || code == 230028 || code == 230054 ||
      code == 230099)
    return 400;
  return 502;
}

relay_answer platform_error(const platform_failure& f, std::string_view platform, bool edit) {
  unsigned status = f.status;
  std::string error = f.error;
  std::int64_t code = f.error_code;
  if (edit && f.lark_code != 0) {
    status = lark_edit_status(f.lark_code);
    if (status == 429) error = "rate_limited", code = 1005;
    if (status == 409) error = "conflict", code = 1004;
    if (status == 400) error = "validation_error", code = 1008;
  }
  std::string message = f.message;
  if (message.empty()) {
    message = status >= 500 && status != 502
                  ? "An internal error occurred"
                  : "Channel platform error: " + std::string(platform) +
                        (edit ? " edit message" : " send message") + " failed (code " +
                        std::to_string(f.lark_code ? f.lark_code : 230001) +
                        "): fake platform failure";
  }
  return envelope(status, error, code, std::move(message));
}

}  // namespace

std::optional<relay_ledger::token_ctx> relay_ledger::check_token(std::string_view token,
                                                                 std::int64_t now_ms,
                                                                 relay_answer& err) const {
  auto v = keys_.verify(token);
  const std::int64_t now = now_ms / 1000;
  const auto invalid = [&] {
    err = unauthorized("Invalid relay reply token");
    return std::nullopt;
  };
  if (v.status != key_store::verify_status::ok) return invalid();
  const json::object& c = v.claims;
  const auto iat = json_util::int_at(c, "iat");
  const auto exp = json_util::int_at(c, "exp");
  if (json_util::string_at(c, "token_type") != "relay_reply" ||
      json_util::string_at(c, "aud") != reply_audience ||
      json_util::string_at(c, "iss") != settings_.issuer || !iat || !exp ||
      *iat > now + settings_.leeway_s || *exp - *iat > settings_.reply_ttl_s + settings_.leeway_s)
    return invalid();
  if (*exp + settings_.leeway_s < now) {
    err = envelope(401, "token_expired", 2001, "Token expired");
    return std::nullopt;
  }
  token_ctx t;
  t.jti = std::string(json_util::string_at(c, "jti"));
  t.inbound_message_id = std::string(json_util::string_at(c, "inbound_message_id"));
  t.conversation_id = std::string(json_util::string_at(c, "conversation_id"));
  t.platform = lower(json_util::string_at(c, "platform"));
  t.api_key_id = std::string(json_util::string_at(c, "api_key_id"));
  if (t.jti.empty()) return invalid();
  t.claims = c;
  return t;
}

bool relay_ledger::check_route(const conversation* conv, std::string_view conv_id,
                               std::string_view platform, const token_ctx* tok,
                               relay_answer& err) const {
  if (!conv || !conv->active) {  // 4
    err = not_found("Conversation not found or inactive: " + std::string(conv_id));
    return false;
  }
  if (tok && tok->conversation_id != conv->id) {  // 5
    err = unauthorized("Reply token conversation mismatch");
    return false;
  }
  if (platform == "device") {  // 6
    err = envelope(400, "device_channel_reply_not_allowed", 10006,
                   "Device channel replies are not allowed");
    return false;
  }
  if (tok) {  // 7
    const api_key* k = key_by_id(tok->api_key_id);
    if (!k || !k->active) {
      err = unauthorized(!k ? "Reply token API key not found" : "Reply token API key is inactive");
      return false;
    }
  }
  const auto bot = bot_active_.find(conv->bot_id);
  if (bot == bot_active_.end() || !bot->second) {  // 8
    err = envelope(400, "channel_bot_inactive", 10001,
                   "Channel bot inactive or invalid: Bot has been deactivated");
    return false;
  }
  if (conv->scope_conflict) {  // 9
    err = envelope(409, "conflict", 1004, "Conflict: Channel bot scope is inconsistent");
    return false;
  }
  if (tok && tok->platform != lower(platform)) {  // 10
    err = unauthorized("Reply token platform mismatch");
    return false;
  }
  return true;
}

relay_answer relay_ledger::reply(std::string_view authorization, std::string_view body,
                                 std::int64_t now_ms, const platform_hook& hook) {
  prune_jtis(now_ms);
  const std::string_view token = bearer(authorization);
  if (token.empty()) {
    auto a = unauthorized("API key or relay reply token required");
    a.credential = "none";
    return a;
  }
  const auto parsed = parse_reply_body(body);
  if (targets_reply_audience(token)) {
    relay_answer err;
    err.credential = "reply_token";
    auto tok = check_token(token, now_ms, err);  // 1, 1b
    if (!tok) return err;
    err.jti = tok->jti;
    if (!parsed) {  // (the JSON extractor runs before the handler in NyxID: no consumption)
      auto a = validation("invalid request body");
      a.credential = "reply_token", a.jti = tok->jti;
      return a;
    }
    const inbound* in = find_inbound(parsed->message_id);
    relay_answer fail;
    if (!in) {  // 2
      fail = not_found("Message not found: " + parsed->message_id);
    } else if (tok->inbound_message_id != in->message_id) {  // 3
      fail = unauthorized("Reply token message_id mismatch");
    } else {
      auto it = conversations_.find(in->conversation_id);
      const conversation* conv = it == conversations_.end() ? nullptr : &it->second;
      if (check_route(conv, in->conversation_id, in->platform, &*tok, fail)) {  // 4–10
        if (used_jtis_.count(tok->jti)) {                                       // 11
          fail = unauthorized("Reply token already used");
        } else {
          const std::int64_t exp = json_util::int_at(tok->claims, "exp").value_or(0);
          used_jtis_[tok->jti] = (exp + settings_.used_jti_keep_s) * 1000;
          fail.consumed = true;
          fail.status = 0;
        }
      }
    }
    if (fail.status != 0) {
      fail.credential = "reply_token", fail.jti = tok->jti;
      return fail;
    }
    // Consumed from here on: whatever follows still burns the token.
    relay_answer a;
    if (auto v = validate_reply(*parsed, in->platform)) {  // 12
      a = std::move(*v);
    } else if (auto f = hook ? hook("reply") : std::nullopt) {  // 13
      a = platform_error(*f, in->platform, false);
    } else {
      a = record_reply(*in, parsed->text, parsed->metadata, "reply_token", tok->jti, now_ms);
    }
    a.credential = "reply_token", a.jti = tok->jti, a.consumed = true;
    return a;
  }

  // API-key path.
  const api_key* key = key_by_secret(token);
  if (!key) {
    relay_answer a = keys_.verify(token).status == key_store::verify_status::ok
                         ? envelope(403, "forbidden", 1002,
                                    "Forbidden: This endpoint requires API key authentication")
                         : unauthorized("Invalid API key");
    a.credential = "other";
    return a;
  }
  relay_answer a;
  if (!key->active) {
    a = unauthorized("API key is inactive");
  } else if (!parsed) {
    a = validation("invalid request body");
  } else if (const inbound* in = find_inbound(parsed->message_id); !in) {
    a = not_found("Message not found: " + parsed->message_id);
  } else {
    auto it = conversations_.find(in->conversation_id);
    const conversation* conv = it == conversations_.end() ? nullptr : &it->second;
    if (conv && conv->api_key_id != key->id) {
      a = envelope(403, "forbidden", 1002,
                   "Forbidden: API key is not the assigned agent for this conversation");
    } else if (!check_route(conv, in->conversation_id, in->platform, nullptr, a)) {
    } else if (auto v = validate_reply(*parsed, in->platform)) {
      a = std::move(*v);
    } else if (auto f = hook ? hook("reply") : std::nullopt) {
      a = platform_error(*f, in->platform, false);
    } else {
      a = record_reply(*in, parsed->text, parsed->metadata, "api_key", {}, now_ms);
    }
  }
  a.credential = "api_key";
  return a;
}

relay_answer relay_ledger::record_reply(const inbound& in, std::string text, json::value metadata,
                                        std::string credential, std::string jti,
                                        std::int64_t now_ms) {
  outbound o;
  o.message_id = ids_.uuid();
  o.platform_message_id = ids_.platform_message_id(in.platform);
  o.inbound_message_id = in.message_id;
  o.conversation_id = in.conversation_id;
  o.platform = in.platform;
  o.chat_id = in.chat_id;
  o.reply_to = in.platform_message_id;
  o.first_text = o.text = std::move(text);
  o.metadata = std::move(metadata);
  o.credential = std::move(credential);
  o.jti = std::move(jti);
  o.time_ms = now_ms;
  relay_answer a;
  a.status = 200;
  a.body["message_id"] = o.message_id;
  if (!settings_.omit_platform_message_id) a.body["platform_message_id"] = o.platform_message_id;
  const std::string key = o.platform + "\n" + o.platform_message_id;
  outbound_order_.push_back(key);
  outbound_[key] = std::move(o);
  bound_rows();
  return a;
}

relay_answer relay_ledger::update(std::string_view authorization, std::string_view body,
                                  std::int64_t now_ms, const platform_hook& hook) {
  prune_jtis(now_ms);
  const auto parsed = parse_reply_body(body);
  if (!parsed) return validation("invalid request body");
  if (!limiter_.allow(parsed->message_id, now_ms))  // 1: before auth
    return envelope(429, "rate_limited", 1005, "Rate limited");
  const std::string_view token = bearer(authorization);
  if (token.empty()) return unauthorized("API key or relay reply token required");

  std::optional<token_ctx> tok;
  const api_key* key = nullptr;
  relay_answer a;
  a.credential = "reply_token";
  if (targets_reply_audience(token)) {
    tok = check_token(token, now_ms, a);  // 2
    if (!tok) return a;
    a.jti = tok->jti;
    if (!used_jtis_.count(tok->jti)) {  // 3
      auto r = unauthorized("reply token must be used to send before it can edit");
      r.credential = "reply_token", r.jti = tok->jti;
      return r;
    }
  } else {
    a.credential = "api_key";
    key = key_by_secret(token);
    if (!key || !key->active) {
      auto r = unauthorized(key ? "API key is inactive" : "Invalid API key");
      r.credential = "api_key";
      return r;
    }
  }
  const std::string credential = a.credential, jti = a.jti;
  const auto finish = [&](relay_answer r) {
    r.credential = credential, r.jti = jti;
    return r;
  };

  outbound* row = nullptr;  // 4
  if (tok) {
    auto it = outbound_.find(tok->platform + "\n" + parsed->message_id);
    if (it != outbound_.end()) row = &it->second;
  } else {
    for (auto& [k, o] : outbound_)
      if (o.platform_message_id == parsed->message_id) row = &o;
  }
  if (!row) return finish(not_found("Outbound message not found: " + parsed->message_id));
  if (tok && row->inbound_message_id != tok->inbound_message_id)  // 5
    return finish(unauthorized("Reply token inbound_message_id mismatch"));
  auto it = conversations_.find(row->conversation_id);
  const conversation* conv = it == conversations_.end() ? nullptr : &it->second;
  if (key && conv && conv->api_key_id != key->id)
    return finish(envelope(403, "forbidden", 1002,
                           "Forbidden: API key is not the assigned agent for this conversation"));
  relay_answer fail;
  if (!check_route(conv, row->conversation_id, row->platform, tok ? &*tok : nullptr, fail))  // 6
    return finish(std::move(fail));
  if (auto v = validate_reply(*parsed, row->platform)) return finish(std::move(*v));  // 7
  if (!is_lark(row->platform))                                                        // 8
    return finish(envelope(501, "edit_unsupported", 10007,
                           "Channel platform does not support message edits"));
  if (auto f = hook ? hook("reply_update") : std::nullopt)
    return finish(platform_error(*f, row->platform, true));
  row->text = parsed->text;
  if (!parsed->metadata.is_null()) row->metadata = parsed->metadata;
  ++row->edit_count;
  row->edits.push_back(parsed->text);
  if (row->edits.size() > 100) row->edits.erase(row->edits.begin());
  row->edited_ms = now_ms;
  relay_answer ok;
  ok.body = json::object{{"upstream_message_id", row->platform_message_id},
                         {"edited_at", rfc3339(now_ms)}};
  return finish(std::move(ok));
}

}  // namespace patchbay::fakes::nyxid
