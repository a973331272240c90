#include "event_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <utility>

#include "feishu_lark/proto/crypto.hpp"
#include "patchbay/common/base64.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;
namespace crypto = plugins::feishu_family::crypto;

namespace {

std::string str_field(const json::object& o, std::string_view k, std::string& err) {
  const auto* v = o.if_contains(k);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) {
    err = std::string("'").append(k).append("' must be a string");
    return {};
  }
  return std::string(v->get_string());
}

json::object user_id_obj(std::string_view open_id) {
  return json::object{
      {"open_id", open_id},
      {"union_id",
       std::string("on_").append(open_id.substr(std::min<std::size_t>(3, open_id.size())))},
      {"user_id",
       std::string("u").append(open_id.substr(std::min<std::size_t>(3, open_id.size()), 8))}};
}

// The open_id of "another bot" in the tenant (mention_other): never this app's bot.
constexpr std::string_view other_bot_open_id = "ou_0ther0b0t0000000000000000000000";

std::string v2_content(const app_creds& app, const inject_fields& f, json::array& mentions) {
  std::string at;
  auto mention = [&](std::string key, json::object id, std::string_view name) {
    at += key + " ";
    json::object m{{"key", key}, {"name", name}, {"tenant_key", app.tenant_key}};
    if (!id.empty()) m["id"] = std::move(id);
    mentions.push_back(std::move(m));
  };
  if (f.mention_other) mention("@_user_1", user_id_obj(other_bot_open_id), "Other Bot");
  if (f.mention_bot)
    mention("@_user_" + std::to_string(mentions.size() + 1), user_id_obj(app.bot_open_id),
            app.bot_name);
  if (f.mention_all) mention("@_all", {}, "all");
  if (!f.content.empty()) return f.content;
  if (f.message_type == "post") {
    json::array line;
    for (const json::value& m : mentions) {
      const json::object& o = m.as_object();
      line.push_back(
          json::object{{"tag", "at"}, {"user_id", o.at("key")}, {"user_name", o.at("name")}});
    }
    line.push_back(json::object{{"tag", "text"}, {"text", f.text}});
    return json::serialize(json::object{{"title", ""}, {"content", json::array{std::move(line)}}});
  }
  return json::serialize(json::object{{"text", at + f.text}});
}

}  // namespace

std::string parse_inject(const json::object& b, inject_fields& f) {
  std::string err;
  f.app_id = str_field(b, "app_id", err);
  f.chat_id = str_field(b, "chat_id", err);
  if (auto t = str_field(b, "chat_type", err); !t.empty()) f.chat_type = t;
  f.text = str_field(b, "text", err);
  f.sender_open_id = str_field(b, "sender_open_id", err);
  if (auto t = str_field(b, "message_type", err); !t.empty()) f.message_type = t;
  if (auto t = str_field(b, "schema", err); !t.empty()) f.schema = t;
  f.event_id = str_field(b, "event_id", err);
  f.message_id = str_field(b, "message_id", err);
  f.parent_id = str_field(b, "parent_id", err);
  f.content = str_field(b, "content", err);
  f.file_name = str_field(b, "file_name", err);
  f.data_content_type = str_field(b, "content_type", err);
  const std::string data = str_field(b, "data_base64", err);
  if (!err.empty()) return err;
  if (b.contains("data_base64")) {
    auto bytes = patchbay::common::base64_decode(data);
    if (!bytes || bytes->empty()) return "data_base64 must be non-empty base64";
    static constexpr std::string_view media[] = {"image", "file", "audio", "media", "sticker"};
    bool ok = false;
    for (auto m : media) ok = ok || f.message_type == m;
    if (!ok) return "data_base64 needs message_type image, file, audio, media or sticker";
    f.has_data = true;
    f.data = std::move(*bytes);
  }
  if (f.chat_type != "p2p" && f.chat_type != "group") return "chat_type must be p2p or group";
  if (f.message_type != "text" && f.message_type != "post" && f.content.empty() && !f.has_data)
    return "message_type other than text or post needs content or data_base64";
  if (f.schema == "1.0" && (f.has_data || !f.content.empty()))
    return "content and data_base64 are for schema 2.0";
  if (f.schema != "2.0" && f.schema != "1.0") return "schema must be 2.0 or 1.0";
  for (auto [key, flag] :
       {std::pair{"mention_bot", &f.mention_bot}, std::pair{"mention_other", &f.mention_other},
        std::pair{"mention_all", &f.mention_all}}) {
    if (const auto* v = b.if_contains(key)) {
      if (!v->is_bool()) return std::string(key) + " must be a bool";
      *flag = v->get_bool();
    }
  }
  if (const auto* v = b.if_contains("duplicate")) {
    if (!v->is_bool()) return "duplicate must be a bool";
    f.duplicate = v->get_bool();
  }
  if (const auto* v = b.if_contains("create_time_ms")) {
    if (!v->is_int64() || v->get_int64() <= 0) return "create_time_ms must be a positive integer";
    f.create_time_ms = v->get_int64();
  }
  if (const auto* v = b.if_contains("fragments")) {
    if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > 1024)
      return "fragments must be an integer in [1, 1024]";
    f.fragments = static_cast<std::size_t>(v->get_int64());
  }
  return {};
}

void complete_inject(inject_fields& f, id_source& ids) {
  if (f.chat_id.empty()) f.chat_id = ids.chat_id();
  if (f.sender_open_id.empty()) f.sender_open_id = ids.open_id();
  if (f.event_id.empty()) f.event_id = ids.event_id();
  if (f.message_id.empty()) f.message_id = ids.message_id();
}

std::string build_message_event(const app_creds& app, const inject_fields& f,
                                std::int64_t create_time_ms) {
  const std::string ms = std::to_string(create_time_ms);
  if (f.schema == "1.0") {
    const std::string at =
        f.mention_bot ? "<at open_id=\"" + app.bot_open_id + "\">@" + app.bot_name + "</at> " : "";
    json::object ev{{"type", "message"},
                    {"app_id", app.app_id},
                    {"tenant_key", app.tenant_key},
                    {"root_id", f.parent_id},
                    {"parent_id", f.parent_id},
                    {"open_chat_id", f.chat_id},
                    {"chat_type", f.chat_type == "p2p" ? "private" : "group"},
                    {"msg_type", f.message_type},
                    {"open_id", f.sender_open_id},
                    {"open_message_id", f.message_id},
                    {"is_mention", f.mention_bot},
                    {"text", at + f.text},
                    {"text_without_at_bot", f.text}};
    return json::serialize(json::object{{"uuid", f.event_id},
                                        {"token", f.token},
                                        {"ts", std::to_string(create_time_ms / 1000) + ".000"},
                                        {"type", "event_callback"},
                                        {"event", std::move(ev)}});
  }
  json::array mentions;
  json::object msg{{"message_id", f.message_id}};
  if (!f.parent_id.empty()) {
    msg["root_id"] = f.parent_id;
    msg["parent_id"] = f.parent_id;
  }
  msg["create_time"] = ms;
  msg["update_time"] = ms;
  msg["chat_id"] = f.chat_id;
  msg["chat_type"] = f.chat_type;
  msg["message_type"] = f.message_type;
  msg["content"] = v2_content(app, f, mentions);
  if (!mentions.empty()) msg["mentions"] = std::move(mentions);
  json::object header{{"event_id", f.event_id}, {"event_type", "im.message.receive_v1"},
                      {"create_time", ms},      {"token", f.token},
                      {"app_id", app.app_id},   {"tenant_key", app.tenant_key}};
  json::object sender{{"sender_id", user_id_obj(f.sender_open_id)},
                      {"sender_type", "user"},
                      {"tenant_key", app.tenant_key}};
  return json::serialize(json::object{
      {"schema", "2.0"},
      {"header", std::move(header)},
      {"event", json::object{{"sender", std::move(sender)}, {"message", std::move(msg)}}}});
}

std::string media_content(std::string_view message_type, std::string_view key,
                          std::string_view file_name) {
  json::object c;
  if (message_type == "image") {
    c["image_key"] = key;
  } else {
    c["file_key"] = key;
    if (!file_name.empty() && message_type != "sticker") c["file_name"] = file_name;
  }
  return json::serialize(c);
}

std::string build_challenge(std::string_view challenge, std::string_view token) {
  return json::serialize(
      json::object{{"challenge", challenge}, {"token", token}, {"type", "url_verification"}});
}

webhook_delivery build_webhook(const app_creds& app, std::string_view plaintext,
                               const webhook_options& o, std::int64_t now_unix_s, id_source& ids) {
  webhook_delivery d;
  if (o.encrypt) {
    const std::string iv = ids.alnum(16);
    d.body = json::serialize(
        json::object{{"encrypt", crypto::encrypt_event(app.encrypt_key, plaintext, iv)}});
  } else {
    d.body = std::string(plaintext);
  }
  d.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  if (o.sign && o.tamper != "unsigned") {
    const std::int64_t ts = o.tamper == "timestamp_stale" ? now_unix_s - 3600 : now_unix_s;
    const std::string timestamp = std::to_string(ts);
    const std::string nonce = ids.alnum(16);
    std::string sig = crypto::webhook_signature(timestamp, nonce, app.encrypt_key, d.body);
    if (o.tamper == "signature") sig[0] = sig[0] == '0' ? '1' : '0';
    d.headers.emplace_back("X-Lark-Request-Timestamp", timestamp);
    d.headers.emplace_back("X-Lark-Request-Nonce", nonce);
    d.headers.emplace_back("X-Lark-Signature", sig);
  }
  if (o.tamper == "body" && !d.body.empty())
    d.body.insert(1, 1, ' ');  // signed bytes != sent bytes
  return d;
}

}  // namespace patchbay::fakes::feishu
