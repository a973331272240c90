// patchbay-fake-feishu: the Open API subset (§3): tenant token, bot info, send, reply, edit (PUT),
// card patch (PATCH), the media endpoints (media_api.cpp), with the envelopes of §1/§6 and the
// faults rate_limit, invalid_token and disable_app.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fake_feishu.hpp"
#include "fake_http.hpp"
#include "feishu_lark/proto/crypto.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;
namespace crypto = plugins::feishu_family::crypto;

namespace {

constexpr std::string_view messages_prefix = "/open-apis/im/v1/messages";
// The platform's limits (§5: "150 KB" / "30 KB"); the plugin keeps a safety margin below them.
constexpr std::size_t text_body_limit = std::size_t{150} * 1024;
constexpr std::size_t rich_body_limit = std::size_t{30} * 1024;

bool known_msg_type(std::string_view t) {
  for (const auto* k : {"text", "post", "image", "file", "audio", "media", "sticker", "interactive",
                        "share_chat", "share_user", "system"}) {
    if (t == k) return true;
  }
  return false;
}

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

kit::http_response fake_feishu::open_api(const kit::http_request& req, std::uint64_t log_id) {
  api_ctx c{req, log_id, nullptr, {}};
  if (req.path == "/open-apis/auth/v3/tenant_access_token/internal") {
    if (req.method != "POST") return api_error(log_id, 405, 405, "method not allowed");
    return tenant_token(c);
  }
  // Authentication first, as the gateway does.
  const auto token = common::bearer_token(req);
  if (!token) {
    return api_error(log_id, 400, 99991661,
                     "Missing access token for authorization. Please make a request with token "
                     "attached.");
  }
  c.app = apps_.check_token(*token, now());
  const std::string app_id = c.app ? c.app->creds.app_id : std::string();
  if (!c.app || faults_.take("invalid_token", app_id)) {
    return api_error(log_id, 400, 99991663,
                     "Invalid access token for authorization. Please make a request with token "
                     "attached.");
  }
  if (auto f = faults_.take("rate_limit", app_id)) {
    const auto* r = f->if_contains("reset_s");
    const auto* s = f->if_contains("http_status");
    const std::string reset = r && r->is_int64() ? std::to_string(r->get_int64()) : "1";
    return answer(log_id, s && s->is_int64() ? static_cast<unsigned>(s->get_int64()) : 429u,
                  json::object{{"code", 99991400}, {"msg", "request trigger frequency limit"}},
                  {{"x-ogw-ratelimit-limit", "50"}, {"x-ogw-ratelimit-reset", reset}});
  }
  if (req.path == "/open-apis/bot/v3/info") {
    if (req.method != "GET") return api_error(log_id, 405, 405, "method not allowed");
    return bot_info(c);
  }
  if (req.path == "/open-apis/im/v1/images") return upload(c, true);
  if (req.path == "/open-apis/im/v1/files") return upload(c, false);
  constexpr std::string_view cards_prefix = "/open-apis/cardkit/v1/cards";
  const bool cardkit_path = req.path.rfind(cards_prefix, 0) == 0;
  if (req.path.rfind(messages_prefix, 0) != 0 && !cardkit_path) {
    return api_error(log_id, 404, 404, "404 page not found");
  }
  if (const auto r = req.path.find("/resources/"); r != std::string::npos) {
    const std::string id =
        req.path.substr(messages_prefix.size() + 1, r - messages_prefix.size() - 1);
    const std::string key = req.path.substr(r + std::string_view("/resources/").size());
    if (id.empty() || key.empty() || id.find('/') != std::string::npos ||
        key.find('/') != std::string::npos || req.path[messages_prefix.size()] != '/')
      return api_error(log_id, 404, 404, "404 page not found");
    return resource(c, id, key);
  }
  if (c.app->disabled) return api_error(log_id, 400, 99991662, "app not in use");
  if (const auto err = common::parse_object(req.body, c.body); !err.empty()) {
    return api_error(log_id, 400, 230001, "invalid request parameter: " + err);
  }
  if (cardkit_path) return cardkit(c, std::string_view(req.path).substr(cards_prefix.size()));
  std::string_view rest = std::string_view(req.path).substr(messages_prefix.size());
  if (rest.empty()) {
    if (req.method != "POST") return api_error(log_id, 405, 405, "method not allowed");
    return send_message(c, {});
  }
  if (rest.front() != '/') return api_error(log_id, 404, 404, "404 page not found");
  rest.remove_prefix(1);
  constexpr std::string_view reply_suffix = "/reply";
  if (rest.size() > reply_suffix.size() &&
      rest.substr(rest.size() - reply_suffix.size()) == reply_suffix) {
    if (req.method != "POST") return api_error(log_id, 405, 405, "method not allowed");
    return send_message(c, std::string(rest.substr(0, rest.size() - reply_suffix.size())));
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    // :message_id/reactions[/:reaction_id]
    constexpr std::string_view reactions = "/reactions";
    const std::string_view tail = rest.substr(slash);
    if (tail == reactions) return reaction(c, std::string(rest.substr(0, slash)), {});
    if (tail.rfind(reactions, 0) == 0 && tail.size() > reactions.size() + 1 &&
        tail[reactions.size()] == '/' &&
        tail.find('/', reactions.size() + 1) == std::string_view::npos)
      return reaction(c, std::string(rest.substr(0, slash)),
                      std::string(tail.substr(reactions.size() + 1)));
    return api_error(log_id, 404, 404, "404 page not found");
  }
  if (req.method == "PUT") return edit_message(c, std::string(rest));
  if (req.method == "PATCH") return patch_card(c, std::string(rest));
  return api_error(log_id, 405, 405, "method not allowed");
}

kit::http_response fake_feishu::tenant_token(api_ctx& c) {
  json::object body;
  if (!common::parse_object(c.req.body, body).empty() || str(body, "app_id").empty() ||
      str(body, "app_secret").empty()) {
    return api_error(c.log_id, 400, 10003, "invalid param");
  }
  app_state* app = apps_.find(str(body, "app_id"));
  if (!app) return api_error(c.log_id, 400, 10014, "app id not exists");
  if (app->creds.app_secret != str(body, "app_secret")) {
    return api_error(c.log_id, 400, 10014, "app secret invalid");
  }
  const auto g = apps_.issue_token(*app, ids_, now());
  // Top level, no "data" wrapper (§3.1).
  return answer(
      c.log_id, 200,
      json::object{
          {"code", 0}, {"msg", "ok"}, {"tenant_access_token", g.token}, {"expire", g.expire_s}});
}

kit::http_response fake_feishu::bot_info(api_ctx& c) {
  const auto& a = *c.app;
  return answer(c.log_id, 200,
                json::object{{"code", 0},
                             {"msg", "ok"},
                             {"bot", json::object{{"activate_status", a.disabled ? 1 : 2},
                                                  {"app_name", a.creds.bot_name},
                                                  {"avatar_url", ""},
                                                  {"ip_white_list", json::array{}},
                                                  {"open_id", a.creds.bot_open_id}}}});
}

json::object fake_feishu::message_json(const stored_message& m) const {
  const auto* app = const_cast<app_registry&>(apps_).find(m.app_id);
  json::object o{{"message_id", m.message_id}};
  if (!m.root_id.empty()) o["root_id"] = m.root_id;
  if (!m.reply_to.empty()) o["parent_id"] = m.reply_to;
  o["msg_type"] = m.msg_type;
  o["create_time"] = std::to_string(m.create_ms);
  o["update_time"] = std::to_string(m.update_ms);
  o["deleted"] = false;
  o["updated"] = m.edits > 0;
  o["chat_id"] = m.chat_id;
  o["sender"] = json::object{{"id", m.app_id},
                             {"id_type", "app_id"},
                             {"sender_type", "app"},
                             {"tenant_key", app ? app->creds.tenant_key : ""}};
  o["body"] = json::object{{"content", m.content}};
  return o;
}

// Send (reply_to empty) or reply; the body rules of §3.3/§3.4.
kit::http_response fake_feishu::send_message(api_ctx& c, const std::string& reply_to) {
  const auto& b = c.body;
  const auto bad = [&](const std::string& what) {
    return api_error(c.log_id, 400, 230001, "invalid request parameter: ext=" + what);
  };
  const std::string msg_type = str(b, "msg_type");
  if (!known_msg_type(msg_type)) return bad("invalid msg_type");
  const auto* content = b.if_contains("content");
  if (!content || !content->is_string()) return bad("content must be a JSON string");
  json::error_code ec;
  const auto parsed = json::parse(content->get_string(), ec);
  if (ec || !parsed.is_object()) return bad("content is not a JSON object");
  if (msg_type == "text" && !parsed.get_object().contains("text"))
    return bad("text content without text");
  if (msg_type == "image" || msg_type == "file" || msg_type == "audio" || msg_type == "media") {
    std::int64_t code = 0;
    if (auto why = check_media_content(c.app->creds.app_id, msg_type, parsed.get_object(), code);
        !why.empty())
      return api_error(c.log_id, 400, code, "invalid request parameter: ext=" + why);
  }
  const std::size_t limit = msg_type == "text" ? text_body_limit : rich_body_limit;
  if (c.req.body.size() > limit) {
    return api_error(c.log_id, 400, 230025, "The message content is too long");
  }
  const auto* uuid_v = b.if_contains("uuid");
  if (uuid_v && !uuid_v->is_string()) return bad("uuid must be a string");
  const std::string uuid = uuid_v ? std::string(uuid_v->get_string()) : std::string();
  if (uuid.size() > 50) return bad("uuid longer than 50 characters");

  stored_message m;
  if (reply_to.empty()) {
    const std::string type = common::query_param(c.req.query, "receive_id_type").value_or("");
    if (type != "chat_id" && type != "open_id" && type != "union_id" && type != "user_id" &&
        type != "email") {
      return api_error(c.log_id, 400, 99992402, "field validation failed: receive_id_type");
    }
    const std::string rid = str(b, "receive_id");
    if (rid.empty())
      return api_error(c.log_id, 400, 99992402, "field validation failed: receive_id");
    if ((type == "chat_id" && rid.rfind("oc_", 0) != 0) ||
        (type == "open_id" && rid.rfind("ou_", 0) != 0) ||
        (type == "union_id" && rid.rfind("on_", 0) != 0)) {
      return bad("invalid receive_id");
    }
    // A user recipient gets the p2p chat the platform keeps with the bot (stable per user).
    m.chat_id =
        type == "chat_id"
            ? rid
            : "oc_" + patchbay::common::sha256_hex(c.app->creds.app_id + "\n" + rid).substr(0, 32);
  } else {
    const auto* target = messages_.find(reply_to);
    if (!target || target->app_id != c.app->creds.app_id) {
      return api_error(c.log_id, 400, 99992354, "these ids not existed: " + reply_to);
    }
    m.chat_id = target->chat_id;
    m.reply_to = reply_to;
    m.root_id = target->root_id.empty() ? reply_to : target->root_id;
  }
  if (!uuid.empty()) {
    if (const auto* first = messages_.by_uuid(c.app->creds.app_id, uuid, epoch_ms())) {
      return answer(c.log_id, 200,
                    json::object{{"code", 0}, {"msg", "success"}, {"data", message_json(*first)}});
    }
  }
  m.message_id = ids_.message_id();
  if (msg_type == "interactive") {
    // A card entity (§3.8) is sent once, by the app that created it.
    const auto& pc = parsed.get_object();
    const auto* t = pc.if_contains("type");
    const auto* d = pc.if_contains("data");
    if (t && t->is_string() && t->get_string() == "card") {
      const auto* id = d && d->is_object() ? d->get_object().if_contains("card_id") : nullptr;
      if (!id || !id->is_string()) return bad("card content without data.card_id");
      if (auto a = cards_.attach(c.app->creds.app_id, std::string(id->get_string()), m.message_id);
          a.code != 0)
        return api_error(c.log_id, 400, a.code, a.msg);
      m.card_id = std::string(id->get_string());
    }
  }
  m.app_id = c.app->creds.app_id;
  m.msg_type = msg_type;
  m.content = std::string(content->get_string());
  m.text = text_of_content(msg_type, m.content);
  m.uuid = uuid;
  m.create_ms = m.update_ms = epoch_ms();
  link_media(m.msg_type, m.content, m.message_id);
  const auto& stored = messages_.add(std::move(m));
  return answer(c.log_id, 200,
                json::object{{"code", 0}, {"msg", "success"}, {"data", message_json(stored)}});
}

kit::http_response fake_feishu::edit_message(api_ctx& c, const std::string& id) {
  auto* m = messages_.find(id);
  if (!m || m->app_id != c.app->creds.app_id) {
    return api_error(c.log_id, 400, 99992354, "these ids not existed: " + id);
  }
  if (!m->from_bot) return api_error(c.log_id, 400, 230071, "The operator is not the sender");
  const std::string msg_type = str(c.body, "msg_type");
  const auto* content = c.body.if_contains("content");
  if ((msg_type != "text" && msg_type != "post") || m->msg_type == "interactive") {
    return api_error(c.log_id, 400, 230001,
                     "invalid request parameter: ext=only text and post messages can be edited");
  }
  json::error_code ec;
  if (!content || !content->is_string() || !json::parse(content->get_string(), ec).is_object() ||
      ec) {
    return api_error(c.log_id, 400, 230001, "invalid request parameter: ext=invalid content");
  }
  if (c.req.body.size() > (msg_type == "text" ? text_body_limit : rich_body_limit)) {
    return api_error(c.log_id, 400, 230025, "The message content is too long");
  }
  if (m->edits >= settings_.edit_cap) {
    return api_error(c.log_id, 400, 230072,
                     "The message has reached the number of times it can be edited");
  }
  ++m->edits;
  m->msg_type = msg_type;
  m->content = std::string(content->get_string());
  m->text = text_of_content(msg_type, m->content);
  m->update_ms = epoch_ms();
  if (m->history.size() < 1000) m->history.push_back(m->text);
  return answer(c.log_id, 200,
                json::object{{"code", 0}, {"msg", "success"}, {"data", message_json(*m)}});
}

kit::http_response fake_feishu::patch_card(api_ctx& c, const std::string& id) {
  auto* m = messages_.find(id);
  if (!m || m->app_id != c.app->creds.app_id) {
    return api_error(c.log_id, 400, 99992354, "these ids not existed: " + id);
  }
  if (!m->from_bot) return api_error(c.log_id, 400, 230071, "The operator is not the sender");
  const auto* content = c.body.if_contains("content");
  json::error_code ec;
  const bool card_json =
      content && content->is_string() && json::parse(content->get_string(), ec).is_object() && !ec;
  if (!card_json || m->msg_type != "interactive") {
    return api_error(c.log_id, 400, 200621,
                     "parse card json err, please check whether the card json is correct");
  }
  if (c.req.body.size() > rich_body_limit) {
    return api_error(c.log_id, 400, 230025, "The message content is too long");
  }
  ++m->patches;
  m->content = std::string(content->get_string());
  m->text = text_of_content("interactive", m->content);
  m->update_ms = epoch_ms();
  if (m->history.size() < 1000) m->history.push_back(m->text);
  return answer(c.log_id, 200,
                json::object{{"code", 0}, {"msg", "success"}, {"data", json::object{}}});
}

}  // namespace patchbay::fakes::feishu
