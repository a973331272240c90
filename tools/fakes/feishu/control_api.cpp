// patchbay-fake-feishu: the control API under /_fake/ (plain JSON on the same port; not recorded
// in /_fake/requests and never subject to faults). Contract: tools/fakes/README.md (## feishu).
#include <boost/json/serialize.hpp>

#include "fake_feishu.hpp"
#include "fake_http.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;
using common::json_error;
using common::json_response;

namespace {
constexpr std::size_t max_inject_count = 100'000;
}

app_state* fake_feishu::pick_app(const json::object& body, std::string& err) {
  const auto* v = body.if_contains("app_id");
  if (v && !v->is_string()) {
    err = "app_id must be a string";
    return nullptr;
  }
  if (v) {
    if (auto* a = apps_.find(v->get_string())) return a;
    err = "unknown app_id";
    return nullptr;
  }
  if (apps_.size() == 1) return &apps_.at(0);
  err = "app_id is required when there are several apps";
  return nullptr;
}

outcome fake_feishu::control(const kit::http_request& req) {
  outcome o;
  json::object body;
  if (const auto err = common::parse_object(req.body, body); !err.empty()) {
    o.response = json_error(400, err);
    return o;
  }
  const std::string_view what =
      std::string_view(req.path).substr(std::string_view("/_fake/").size());
  const bool post = req.method == "POST";
  const std::string app_filter = common::query_param(req.query, "app_id").value_or("");
  if (post && what == "inject") return inject(body);
  if (post && what == "webhook") return webhook(body);
  if (post && what == "fault") return arm_fault(body);
  if (post && what == "config") {
    o.response = set_config(body);
  } else if (post && what == "faults/clear") {
    faults_.clear();
    o.response = json_response(200, json::object{{"ok", true}});
  } else if (post && what == "reset") {
    reset();
    o.response = json_response(200, json::object{{"ok", true}});
  } else if (!post && what == "events") {
    o.response = json_response(200, json::object{{"events", events_.to_json(app_filter)}});
  } else if (!post && what == "connections") {
    o.response = json_response(200, connections_json(app_filter));
  } else if (!post && what == "messages") {
    const std::string chat = common::query_param(req.query, "chat_id").value_or("");
    auto list = messages_.to_json(chat);
    // A message showing a card entity shows the card's current text (and its update history).
    for (auto& v : list) {
      auto& m = v.as_object();
      const auto* card = cards_.find(std::string(m.at("card_id").as_string()));
      if (!card) continue;
      m["text"] = card->text();
      json::array history;
      for (const auto& h : card->history)
        if (h.what != "settings") history.emplace_back(h.text);
      m["history"] = std::move(history);
    }
    o.response = json_response(200, json::object{{"messages", std::move(list)}});
  } else if (!post && what == "cards") {
    o.response = json_response(200, json::object{{"cards", cards_.to_json(now(), card_limits())}});
  } else if (!post && what == "files") {
    o.response = json_response(200, json::object{{"files", media_.to_json()}});
  } else if (!post && what == "file") {
    const std::string key = common::query_param(req.query, "key").value_or("");
    const stored_file* f = media_.find(key);
    o.response =
        f ? json_response(200,
                          json::object{{"key", f->key},
                                       {"md5", f->md5},
                                       {"size", f->data.size()},
                                       {"content_type", f->content_type},
                                       {"file_name", f->file_name},
                                       {"data_base64", patchbay::common::base64_encode(f->data)}})
          : json_error(404, "unknown key");
  } else if (!post && what == "reactions") {
    const std::string msg = common::query_param(req.query, "message_id").value_or("");
    o.response = json_response(200, json::object{{"reactions", reactions_.to_json(msg)}});
  } else if (!post && what == "requests") {
    o.response = json_response(200, json::object{{"requests", log_.to_json()}});
  } else if (!post && what == "config") {
    o.response = json_response(200, settings_json(settings_));
  } else if (!post && what == "faults") {
    o.response = json_response(200, json::object{{"faults", faults_.to_json()}});
  } else if (!post && what == "apps") {
    json::array list;
    for (std::size_t i = 0; i < apps_.size(); ++i) {
      const auto& a = apps_.at(i);
      list.push_back(json::object{{"app_id", a.creds.app_id},
                                  {"disabled", a.disabled},
                                  {"open_connections", open_by_app_[a.creds.app_id].size()},
                                  {"queued_events", queued_[a.creds.app_id].size()}});
    }
    o.response = json_response(200, json::object{{"apps", std::move(list)}});
  } else {
    o.response = json_error(404, "unknown control endpoint " + req.method + " " + req.path);
  }
  return o;
}

outcome fake_feishu::inject(const json::object& body) {
  outcome o;
  std::string err;
  app_state* app = pick_app(body, err);
  inject_fields f;
  if (err.empty()) err = parse_inject(body, f);
  std::size_t count = 1;
  if (const auto* c = body.if_contains("count"); err.empty() && c) {
    if (!c->is_int64() || c->get_int64() < 1 ||
        c->get_int64() > static_cast<std::int64_t>(max_inject_count))
      err = "count must be in [1, 100000]";
    else
      count = static_cast<std::size_t>(c->get_int64());
    if (count > 1 && (!f.event_id.empty() || !f.message_id.empty() || f.has_data))
      err = "count > 1 takes no event_id/message_id/data_base64";
  }
  if (!err.empty()) {
    o.response = json_error(400, err);
    return o;
  }
  // A file "sent by a user": the fake holds its bytes, the message content names its key.
  std::string staged_key;
  if (f.has_data) {
    stored_file sf;
    sf.image = f.message_type == "image";
    sf.key = (sf.image ? "img_v3_" : "file_v3_") + ids_.hex(8) + "-" + ids_.hex(24);
    sf.file_name = f.file_name;
    sf.content_type =
        f.data_content_type.empty() ? "application/octet-stream" : f.data_content_type;
    sf.md5 = patchbay::common::md5_hex(f.data);
    sf.data = std::move(f.data);
    staged_key = media_.add(std::move(sf)).key;
    f.content = media_content(f.message_type, staged_key, f.file_name);
  }
  inject_fields first;
  for (std::size_t i = 0; i < count; ++i) {
    inject_fields g = f;
    // A batch's messages differ in text too (" #2", " #3", ...): the same text at the same time
    // from the same sender is one message re-pushed under new ids (the host's fallback dedup).
    if (i > 0 && !g.text.empty()) g.text += " #" + std::to_string(i + 1);
    complete_inject(g, ids_);
    if (!staged_key.empty()) media_.find(staged_key)->message_ids.push_back(g.message_id);
    f.chat_id = g.chat_id;  // a batch stays in one chat, from one sender
    f.sender_open_id = g.sender_open_id;
    event_record e;
    e.app_id = app->creds.app_id;
    e.event_id = g.event_id;
    e.message_id = g.message_id;
    e.chat_id = g.chat_id;
    e.payload =
        build_message_event(app->creds, g, g.create_time_ms ? g.create_time_ms : epoch_ms());
    e.fragments = g.fragments;
    e.duplicate = g.duplicate;
    e.ack_timeout_ms = settings_.ack_timeout_ms;
    e.repush_ms = settings_.repush_ms;
    remember_inbound(*app, g);
    deliver(events_.add(std::move(e)), o.commands);
    if (i == 0) first = g;
  }
  json::object answer{{"event_id", first.event_id},
                      {"message_id", first.message_id},
                      {"chat_id", first.chat_id},
                      {"count", count}};
  if (!staged_key.empty())
    answer[f.message_type == "image" ? "image_key" : "file_key"] = staged_key;
  o.response = json_response(200, answer);
  return o;
}

// An injected inbound message is a reply target for the bot (whichever way it is delivered).
void fake_feishu::remember_inbound(const app_state& app, const inject_fields& g) {
  stored_message m;
  m.message_id = g.message_id;
  m.app_id = app.creds.app_id;
  m.chat_id = g.chat_id;
  m.msg_type = g.message_type;
  m.text = g.text;
  m.from_bot = false;
  m.create_ms = m.update_ms = epoch_ms();
  if (!messages_.find(m.message_id)) messages_.add(std::move(m));
}

outcome fake_feishu::webhook(const json::object& body) {
  outcome o;
  std::string err;
  app_state* app = pick_app(body, err);
  const auto* url = body.if_contains("url");
  if (err.empty() && (!url || !url->is_string() || url->get_string().empty()))
    err = "url is required";
  const auto* kind = body.if_contains("kind");
  const std::string k = kind && kind->is_string() ? std::string(kind->get_string()) : "event";
  if (err.empty() && k != "event" && k != "challenge") err = "kind must be event or challenge";
  inject_fields f;
  if (err.empty()) err = parse_inject(body, f);
  webhook_options w;
  const auto flag = [&](const char* name, bool& out) {
    if (const auto* v = body.if_contains(name)) {
      if (!v->is_bool())
        err = std::string(name) + " must be a bool";
      else
        out = v->get_bool();
    }
  };
  flag("encrypt", w.encrypt);
  flag("sign", w.sign);
  if (const auto* t = body.if_contains("tamper"); t && t->is_string()) w.tamper = t->get_string();
  if (err.empty() && !w.tamper.empty() && w.tamper != "signature" && w.tamper != "body" &&
      w.tamper != "timestamp_stale" && w.tamper != "token" && w.tamper != "unsigned") {
    err = "tamper must be signature, body, timestamp_stale, token or unsigned";
  }
  std::int64_t timeout_ms = 3000;  // the platform's own budget (§7)
  if (const auto* t = body.if_contains("timeout_ms"); t && t->is_int64() && t->get_int64() > 0)
    timeout_ms = t->get_int64();
  if (!err.empty()) {
    o.response = json_error(400, err);
    return o;
  }
  const std::string token =
      w.tamper == "token" ? "forged-" + ids_.alnum(8) : app->creds.verification_token;
  std::string plaintext;
  webhook_job job;
  if (k == "challenge") {
    plaintext = build_challenge(ids_.hex(32), token);
  } else {
    complete_inject(f, ids_);
    f.token = token;
    plaintext =
        build_message_event(app->creds, f, f.create_time_ms ? f.create_time_ms : epoch_ms());
    if (w.tamper.empty()) remember_inbound(*app, f);
    job.event_id = f.event_id;
    job.message_id = f.message_id;
  }
  const auto now_s = epoch_ms() / 1000;
  auto d = build_webhook(app->creds, plaintext, w, now_s, ids_);
  job.request.method = "POST";
  job.request.url = std::string(url->get_string());
  job.request.headers = std::move(d.headers);
  job.request.body = std::move(d.body);
  job.request.connect_timeout = std::chrono::milliseconds(std::min<std::int64_t>(2000, timeout_ms));
  job.request.first_byte_timeout = job.request.idle_timeout = job.request.total_timeout =
      std::chrono::milliseconds(timeout_ms);
  o.what = outcome::kind::webhook;
  o.webhook = std::move(job);
  return o;
}

outcome fake_feishu::arm_fault(const json::object& body) {
  outcome o;
  const auto* k = body.if_contains("kind");
  const std::string kind = k && k->is_string() ? std::string(k->get_string()) : std::string();
  std::string app_id;
  if (const auto* a = body.if_contains("app_id")) {
    if (!a->is_string() || !apps_.find(a->get_string())) {
      o.response = json_error(400, "unknown app_id");
      return o;
    }
    app_id = a->get_string();
  }
  std::int64_t count = 1;
  if (const auto* c = body.if_contains("count")) {
    if (!c->is_int64() || c->get_int64() == 0 || c->get_int64() < -1) {
      o.response = json_error(400, "count must be -1 or a positive integer");
      return o;
    }
    count = c->get_int64();
  }
  const auto int_or = [&](const char* name, std::int64_t dflt) {
    const auto* v = body.if_contains(name);
    return v && v->is_int64() ? v->get_int64() : dflt;
  };
  std::size_t affected = 0;
  if (kind == "drop" || kind == "close" || kind == "stall") {
    ws_command proto;
    proto.what = kind == "drop"    ? ws_command::kind::abort
                 : kind == "close" ? ws_command::kind::close
                                   : ws_command::kind::stall;
    proto.code = static_cast<std::uint16_t>(int_or("code", 1000));
    proto.duration_ms = int_or("duration_ms", 0);
    o.commands = for_app_conns(app_id, proto);
    affected = o.commands.size();
  } else if (kind == "refuse_discovery" || kind == "refuse_handshake" || kind == "rate_limit" ||
             kind == "invalid_token" || kind == "card_error" || kind == "card_settings_error" ||
             kind == "card_create_error" || kind == "resource_not_found" || kind == "reaction") {
    faults_.arm({kind, app_id, count, body});
    affected = 1;
  } else if (kind == "pong_config") {
    // All four keys by default (SDKs apply a partial config blindly, §2.5); "raw" sends a payload
    // verbatim (for tests of a client's validation).
    std::string payload;
    if (const auto* raw = body.if_contains("raw"); raw && raw->is_string()) {
      payload = raw->get_string();
    } else {
      payload = json::serialize(json::object{
          {"PingInterval", int_or("PingInterval", settings_.ping_interval_s)},
          {"ReconnectCount", int_or("ReconnectCount", settings_.reconnect_count)},
          {"ReconnectInterval", int_or("ReconnectInterval", settings_.reconnect_interval_s)},
          {"ReconnectNonce", int_or("ReconnectNonce", settings_.reconnect_nonce_s)}});
    }
    for (std::size_t i = 0; i < apps_.size(); ++i) {
      const auto& id = apps_.at(i).creds.app_id;
      if (app_id.empty() || id == app_id) {
        pong_config_[id] = payload;
        ++affected;
      }
    }
  } else if (kind == "disable_app" || kind == "enable_app") {
    for (std::size_t i = 0; i < apps_.size(); ++i) {
      auto& a = apps_.at(i);
      if (app_id.empty() || a.creds.app_id == app_id) {
        a.disabled = kind == "disable_app";
        ++affected;
      }
    }
  } else {
    o.response = json_error(400, "unknown fault kind '" + kind + "'");
    return o;
  }
  o.response = json_response(200, json::object{{"armed", kind}, {"affected", affected}});
  return o;
}

kit::http_response fake_feishu::set_config(const json::object& body) {
  if (const auto err = apply_settings(settings_, body); !err.empty()) return json_error(400, err);
  return json_response(200, settings_json(settings_));
}

json::object fake_feishu::connections_json(std::string_view app_filter) const {
  json::array ds;
  for (const auto& d : discoveries_) {
    if (!app_filter.empty() && d.app_id != app_filter) continue;
    ds.push_back(json::object{{"time_ms", d.time_ms}, {"app_id", d.app_id}, {"code", d.code}});
  }
  json::array cs;
  for (const auto& [id, c] : conns_) {
    if (!app_filter.empty() && c.app_id != app_filter) continue;
    cs.push_back(json::object{{"id", c.id},
                              {"app_id", c.app_id},
                              {"opened_ms", c.opened_ms},
                              {"closed_ms", c.closed_ms},
                              {"open", c.open},
                              {"close", c.close_reason},
                              {"pings", c.pings}});
  }
  return json::object{{"discoveries", std::move(ds)}, {"connections", std::move(cs)}};
}

void fake_feishu::reset() {
  faults_.clear();
  events_.clear();
  messages_.clear();
  cards_.clear();
  media_.clear();
  reactions_.clear();
  log_.clear();
  queued_.clear();
  discoveries_.clear();
  pong_config_.clear();
  for (std::size_t i = 0; i < apps_.size(); ++i) apps_.at(i).disabled = false;
  std::erase_if(conns_, [](const auto& kv) { return kv.second.ended; });
}

}  // namespace patchbay::fakes::feishu
