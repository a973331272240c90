#include "feishu_lark/proto/events.hpp"

#include <boost/json.hpp>

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  return std::string(json_util::string_at(o, key));
}

std::nullopt_t fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return std::nullopt;
}

chat_kind kind_of_chat(std::string_view t) {
  if (t == "p2p" || t == "private") return chat_kind::p2p;
  if (t == "group" || t == "topic_group") return chat_kind::group;
  return chat_kind::other;
}

// v1 text carries mentions as <at open_id="…">@Name</at> (UNVERIFIED): keep the inner text.
std::string strip_at_tags(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 3, "<at") == 0 && i + 3 < s.size() && (s[i + 3] == ' ' || s[i + 3] == '>')) {
      const size_t gt = s.find('>', i);
      const size_t close = gt == std::string_view::npos ? gt : s.find("</at>", gt);
      if (close != std::string_view::npos) {
        out.append(s.substr(gt + 1, close - gt - 1));
        i = close + 5;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

std::vector<mention> read_mentions(const json::object& msg, const message_options& opt) {
  std::vector<mention> out;
  const json::value* ms = msg.if_contains("mentions");
  if (!ms || !ms->is_array()) return out;
  for (const json::value& v : ms->get_array()) {
    const json::object* m = v.if_object();
    if (!m) continue;
    mention x;
    x.key = str(*m, "key");
    x.name = str(*m, "name");
    if (const json::object* id = json_util::object_at(*m, "id")) {
      x.open_id = str(*id, "open_id");
      x.union_id = str(*id, "union_id");
      x.user_id = str(*id, "user_id");
    }
    x.is_bot = !opt.bot_open_id.empty() && x.open_id == opt.bot_open_id;
    if (!x.key.empty()) out.push_back(std::move(x));
  }
  return out;
}

std::optional<inbound_message> message_v2(const envelope& env, const json::object& ev,
                                          const message_options& opt, std::string* error) {
  const json::object* msg = json_util::object_at(ev, "message");
  if (!msg) return fail(error, "im.message.receive_v1 without a message");
  inbound_message m;
  m.event_id = env.event_id;
  m.tenant_key = env.tenant_key;
  m.message_id = str(*msg, "message_id");
  m.chat_id = str(*msg, "chat_id");
  if (m.message_id.empty() || m.chat_id.empty())
    return fail(error, "im.message.receive_v1 without message_id or chat_id");
  m.root_id = str(*msg, "root_id");
  m.parent_id = str(*msg, "parent_id");
  m.thread_id = str(*msg, "thread_id");
  m.chat_type = str(*msg, "chat_type");
  m.chat = kind_of_chat(m.chat_type);
  m.message_type = str(*msg, "message_type");
  m.create_time_ms = json_util::int_at(*msg, "create_time").value_or(env.create_time);
  if (const json::object* sender = json_util::object_at(ev, "sender")) {
    m.sender_type = str(*sender, "sender_type");
    if (m.tenant_key.empty()) m.tenant_key = str(*sender, "tenant_key");
    if (const json::object* id = json_util::object_at(*sender, "sender_id")) {
      m.sender_open_id = str(*id, "open_id");
      m.sender_union_id = str(*id, "union_id");
      m.sender_user_id = str(*id, "user_id");
    }
  }
  m.mentions = read_mentions(*msg, opt);
  for (const mention& x : m.mentions) {
    m.bot_mentioned = m.bot_mentioned || x.is_bot;
    m.mentions_all = m.mentions_all || x.key == "@_all";
  }
  const resolve_options ro{opt.strip_bot_mention};
  const std::string_view content = json_util::string_at(*msg, "content");
  if (m.message_type == "text")
    m.text = resolve_mentions(text_of_text_content(content), m.mentions, ro);
  else if (m.message_type == "post")
    m.text = text_of_post_content(content, m.mentions, ro);
  m.attachments = attachments_of(m.message_type, content);
  return m;
}

std::optional<inbound_message> message_v1(const envelope& env, const json::object& ev,
                                          const message_options& opt, std::string* error) {
  inbound_message m;
  m.event_id = env.event_id;
  m.tenant_key = env.tenant_key.empty() ? str(ev, "tenant_key") : env.tenant_key;
  m.message_id = str(ev, "open_message_id");
  m.chat_id = str(ev, "open_chat_id");
  if (m.message_id.empty() || m.chat_id.empty())
    return fail(error, "v1 message event without open_message_id or open_chat_id");
  m.root_id = str(ev, "root_id");
  m.parent_id = str(ev, "parent_id");
  m.chat_type = str(ev, "chat_type");
  m.chat = kind_of_chat(m.chat_type);
  m.message_type = str(ev, "msg_type");
  m.sender_open_id = str(ev, "open_id");
  m.sender_union_id = str(ev, "union_id");
  m.sender_user_id = str(ev, "employee_id");
  m.sender_type = "user";
  m.create_time_ms = env.create_time;
  const json::value* is_mention = ev.if_contains("is_mention");
  m.bot_mentioned = is_mention && is_mention->is_bool() && is_mention->get_bool();
  const std::string_view without = json_util::string_at(ev, "text_without_at_bot");
  const std::string_view text = json_util::string_at(ev, "text");
  std::string t = opt.strip_bot_mention && m.bot_mentioned && !without.empty()
                      ? std::string(without)
                      : strip_at_tags(text);
  m.text = resolve_mentions(t, {}, {});  // trims
  // The v1 event carries image_key / file_key / file_name at its top level (UNVERIFIED beyond
  // image_key): read them as a content object.
  if (m.message_type != "text") m.attachments = attachments_of(m.message_type, json::serialize(ev));
  return m;
}

}  // namespace

std::optional<envelope> parse_envelope(std::string_view json_text, std::string* error) {
  const auto v = json_util::parse(json_text, error);
  if (!v) return std::nullopt;
  return envelope_from_json(*v, error);
}

std::optional<envelope> envelope_from_json(const json::value& v, std::string* error) {
  const json::object* o = v.if_object();
  if (!o) return fail(error, "event is not a JSON object");
  envelope e;
  const json::object* header = json_util::object_at(*o, "header");
  const json::object* ev = json_util::object_at(*o, "event");
  if (json_util::string_at(*o, "type") == "url_verification") {
    e.kind = envelope_kind::url_verification;
    e.challenge = str(*o, "challenge");
    e.token = str(*o, "token");
    return e;
  }
  if (!json_util::string_at(*o, "schema").empty() && header) {
    e.kind = envelope_kind::v2;
    e.event_id = str(*header, "event_id");
    e.event_type = str(*header, "event_type");
    e.token = str(*header, "token");
    e.app_id = str(*header, "app_id");
    e.tenant_key = str(*header, "tenant_key");
    e.create_time = json_util::int_at(*header, "create_time").value_or(0);
  } else if (!json_util::string_at(*o, "uuid").empty() && ev &&
             !json_util::string_at(*ev, "type").empty()) {
    e.kind = envelope_kind::v1;
    e.event_id = str(*o, "uuid");
    e.event_type = str(*ev, "type");
    e.token = str(*o, "token");
    e.app_id = str(*ev, "app_id");
    e.tenant_key = str(*ev, "tenant_key");
    e.create_time = json_util::int_at(*o, "ts").value_or(0);
  } else {
    return fail(error, "neither a v2 (schema + header) nor a v1 (uuid + event.type) event");
  }
  if (e.event_id.empty() || e.event_type.empty())
    return fail(error, "event without an id or a type");
  if (ev) e.event = *ev;
  return e;
}

std::optional<inbound_message> parse_message_event(const envelope& env, const message_options& opt,
                                                   std::string* error) {
  const json::object* ev = env.event.if_object();
  if (!ev) return fail(error, "event without an event object");
  if (env.kind == envelope_kind::v2 && env.event_type == event_type::message_receive)
    return message_v2(env, *ev, opt, error);
  if (env.kind == envelope_kind::v1 && env.event_type == event_type::message_receive_v1)
    return message_v1(env, *ev, opt, error);
  return fail(error, "not a message event: " + json_util::clip(env.event_type, 80));
}

std::optional<card_action> parse_card_action(const envelope& env, std::string* error) {
  const json::object* ev = env.event.if_object();
  if (env.event_type != event_type::card_action || !ev)
    return fail(error, "not a card.action.trigger event");
  card_action a;
  a.event_id = env.event_id;
  const json::object* ctx = json_util::object_at(*ev, "context");
  a.message_id = ctx ? str(*ctx, "open_message_id") : std::string();
  if (a.message_id.empty()) a.message_id = str(*ev, "open_message_id");
  a.chat_id = ctx ? str(*ctx, "open_chat_id") : std::string();
  if (a.chat_id.empty()) a.chat_id = str(*ev, "open_chat_id");
  if (const json::object* op = json_util::object_at(*ev, "operator")) {
    a.operator_open_id = str(*op, "open_id");
    a.operator_user_id = str(*op, "user_id");
    a.operator_union_id = str(*op, "union_id");
    a.operator_name = str(*op, "name");
  }
  if (a.message_id.empty() || a.chat_id.empty() || a.operator_open_id.empty())
    return fail(error, "card action without message id, chat id or operator open_id");
  a.token = str(*ev, "token");
  if (const json::object* act = json_util::object_at(*ev, "action")) {
    a.tag = str(*act, "tag");
    a.name = str(*act, "name");
    a.option = str(*act, "option");
    if (const json::value* val = act->if_contains("value")) a.value_json = json::serialize(*val);
  }
  return a;
}

std::string challenge_response(std::string_view challenge) {
  return json::serialize(json::object{{"challenge", challenge}});
}

}  // namespace patchbay::plugins::feishu_family
