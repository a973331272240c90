// fake_ilink: the authenticated iLink bot endpoints (protocol note §2-§4). The caller (route) has
// already checked the token, the headers, base_info and the session state.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "fake_ilink.hpp"
#include "render/text_units.hpp"
#include "validate.hpp"

namespace patchbay::fakes::ilink {

namespace json = boost::json;

namespace {

constexpr std::size_t max_tracked_client_ids = 100'000;
constexpr std::size_t max_typing_tickets = 100'000;
constexpr std::size_t max_typing_log = 20'000;

// ids_as_strings: the id fields the 2.4.9 client reads as strings, wherever they appear.
void stringify_ids(json::value& v) {
  if (v.is_array()) {
    for (auto& e : v.get_array()) stringify_ids(e);
    return;
  }
  if (!v.is_object()) return;
  for (auto& [key, field] : v.get_object()) {
    if ((key == "message_id" || key == "msg_id" || key == "svr_id") &&
        (field.is_uint64() || field.is_int64())) {
      field = field.is_uint64() ? json::value(std::to_string(field.get_uint64()))
                                : json::value(std::to_string(field.get_int64()));
    } else {
      stringify_ids(field);
    }
  }
}

}  // namespace

outcome fake_ilink::bot_endpoint(request_ctx& c, std::string_view endpoint) {
  outcome out;
  if (endpoint == "getupdates") return get_updates(c);
  if (endpoint == "sendmessage") {
    out.act.response = send_message(c);
  } else if (endpoint == "getconfig") {
    out.act.response = get_config(c);
  } else if (endpoint == "sendtyping") {
    out.act.response = send_typing(c);
  } else if (endpoint == "msg/notifystart") {
    out.act.response = notify_start(c);
  } else if (endpoint == "msg/notifystop") {
    out.act.response = reply(c.log_id, {{"ret", 0}, {"errmsg", ""}});
  } else {
    out.act.response = get_upload_url(c);
  }
  return out;
}

outcome fake_ilink::get_updates(request_ctx& c) {
  outcome out;
  std::string buf;
  if (auto e = need_string(c.body, "get_updates_buf", buf, true); !e.empty()) {
    out.act.response = bad_request(c.log_id, e);
    return out;
  }
  account& a = *c.acct;
  std::uint64_t after = 0;
  if (buf.empty()) {
    after = settings_.empty_cursor_backlog ? 0 : a.box.last_seq();
  } else {
    const auto cur = decode_cursor(buf);
    if (!cur || cur->account_index != a.index || cur->seq > a.box.last_seq()) {
      out.act.response =
          reply(c.log_id, {{"ret", -1}, {"errcode", -1}, {"errmsg", "invalid get_updates_buf"}});
      return out;
    }
    after = cur->seq;
  }
  if (c.after_stall || settings_.hold_ms <= 0 || !a.box.after(after, 1).empty()) {
    out.act.response = updates_answer(a, after, c.log_id);
    return out;
  }
  out.act.what = action::kind::park;
  out.act.ticket = waiters_.add(a.creds.account_id, after, c.log_id);
  out.act.delay = std::chrono::milliseconds(settings_.hold_ms);
  return out;
}

json::value fake_ilink::delivered(const stored_message& m) const {
  json::value v = m.body;
  auto& o = v.get_object();
  o["seq"] = m.seq;
  o["message_id"] = m.message_id;
  if (settings_.ids_as_strings) stringify_ids(v);
  return v;
}

kit::http_response fake_ilink::updates_answer(account& a, std::uint64_t after_seq,
                                              std::uint64_t log_id) {
  const auto msgs = a.box.after(after_seq, settings_.max_batch);
  json::array arr;
  arr.reserve(msgs.size());
  for (const auto* m : msgs) arr.push_back(delivered(*m));
  const std::uint64_t next = msgs.empty() ? after_seq : msgs.back()->seq;
  return reply(log_id, {{"ret", 0},
                        {"msgs", std::move(arr)},
                        {"get_updates_buf", encode_cursor(a.index, next, ++a.answers)},
                        {"longpolling_timeout_ms", settings_.longpolling_timeout_ms}});
}

kit::http_response fake_ilink::send_message(request_ctx& c) {
  account& a = *c.acct;
  const auto* mv = c.body.if_contains("msg");
  if (!mv || !mv->is_object()) return bad_request(c.log_id, "missing msg object");
  const auto& msg = mv->get_object();
  sent_record rec;
  rec.account = a.creds.account_id;
  rec.time_ms = now();
  std::int64_t message_type = 0;
  std::string e;
  if (e = need_string(msg, "client_id", rec.client_id); !e.empty())
    return bad_request(c.log_id, "msg." + e);
  if (e = opt_string(msg, "context_token", rec.context_token); !e.empty())
    return bad_request(c.log_id, "msg." + e);
  if (e = opt_string(msg, "run_id", rec.run_id); !e.empty())
    return bad_request(c.log_id, "msg." + e);
  if (e = need_int(msg, "message_type", message_type); !e.empty() || message_type != 2) {
    return bad_request(c.log_id, "msg.message_type must be 2 (BOT)");
  }
  const auto* items = msg.if_contains("item_list");
  if (!items || !items->is_array() || items->get_array().empty()) {
    return bad_request(c.log_id, "msg.item_list must be a non-empty array");
  }
  std::size_t text_units = 0;
  for (const auto& item : items->get_array()) {
    std::int64_t type = 0;
    if (!item.is_object() || !need_int(item.get_object(), "type", type).empty()) {
      return bad_request(c.log_id, "every msg.item_list entry needs an integer type");
    }
    if (rec.item_type == 0) rec.item_type = type;
    if (type >= 2 && type <= 5) {
      json::object seen;
      if (e = check_media_item(item.get_object(), type, seen); !e.empty())
        return bad_request(c.log_id, "msg.item_list: " + e);
      rec.media.push_back(std::move(seen));
      continue;
    }
    if (type != 1) continue;
    const auto* ti = item.get_object().if_contains("text_item");
    std::string text;
    if (!ti || !ti->is_object() || !need_string(ti->get_object(), "text", text, true).empty()) {
      return bad_request(c.log_id, "a text item (type 1) needs text_item.text");
    }
    text_units += render::measure(text, PB_UNIT_UTF16);
    rec.text += text;
  }

  if (auto f = faults_.take(fault_kind::send_ret, c.req.path, a.creds.account_id)) {
    if (f->empty_body) return reply_text(c.log_id, 200, "", "application/json");
    json::object o;
    if (f->ret) o["ret"] = *f->ret;
    if (f->errcode) o["errcode"] = *f->errcode;
    o["errmsg"] = f->errmsg;
    return reply(c.log_id, o);
  }
  auto fail = [&](int ret, std::string_view errmsg) {
    return reply(c.log_id, {{"ret", ret}, {"errmsg", errmsg}});
  };
  if (e = need_string(msg, "to_user_id", rec.to); !e.empty() || !a.known_users.count(rec.to)) {
    return fail(-3, "invalid arguments");
  }
  token_info* tok = nullptr;
  if (rec.context_token.empty()) {
    if (settings_.missing_token_ret != 0)
      return fail(settings_.missing_token_ret, "invalid arguments");
  } else {
    const auto it = tokens_.find(rec.context_token);
    const bool usable = it != tokens_.end() && it->second.account_id == a.creds.account_id &&
                        it->second.user_id == rec.to &&
                        now() - it->second.issued_ms <= settings_.context_token_ttl_ms;
    if (usable) {
      tok = &it->second;
    } else if (settings_.bad_token_ret != 0) {
      return fail(settings_.bad_token_ret, "");
    }
  }
  const bool progress = rec.item_type == 11 || rec.item_type == 12;  // tool-call progress items
  const bool counts = !progress || settings_.progress_counts;
  if (tok && counts && settings_.send_budget_per_token > 0 &&
      tok->sends >= settings_.send_budget_per_token) {
    return fail(-2, "");
  }
  if (text_units > settings_.max_text_units) return fail(-2, "prepare failed");

  if (const auto dup = client_ids_.find(rec.client_id); dup != client_ids_.end()) {
    if (settings_.duplicate_client_id == "reject") return fail(-2, "duplicate client_id");
    if (settings_.duplicate_client_id == "dedupe")
      return reply(c.log_id, {{"ret", 0}, {"message_id", dup->second}});
  }
  if (tok && counts) ++tok->sends;
  rec.message_id = ids_.message_id();
  client_ids_[rec.client_id] = rec.message_id;
  client_id_order_.push_back(rec.client_id);
  if (client_id_order_.size() > max_tracked_client_ids) {
    client_ids_.erase(client_id_order_.front());
    client_id_order_.pop_front();
  }
  const std::uint64_t id = rec.message_id;
  sent_.push_back(std::move(rec));
  while (sent_.size() > settings_.max_sent) sent_.pop_front();

  if (settings_.send_success == "empty_object") return reply(c.log_id, {});
  if (settings_.send_success == "ret_only") return reply(c.log_id, {{"ret", 0}});
  json::object ok{{"ret", 0}};
  if (settings_.ids_as_strings) {
    ok["message_id"] = std::to_string(id);
  } else {
    ok["message_id"] = id;
  }
  return reply(c.log_id, ok);
}

kit::http_response fake_ilink::get_config(request_ctx& c) {
  std::string user, context_token;
  if (auto e = need_string(c.body, "ilink_user_id", user); !e.empty())
    return bad_request(c.log_id, e);
  if (auto e = opt_string(c.body, "context_token", context_token); !e.empty())
    return bad_request(c.log_id, e);
  if (typing_tickets_.size() >= max_typing_tickets) typing_tickets_.clear();
  auto& ticket = typing_tickets_[c.acct->creds.account_id + "\n" + user];
  if (ticket.empty()) ticket = ids_.typing_ticket();
  return reply(c.log_id, {{"ret", 0}, {"errmsg", ""}, {"typing_ticket", ticket}});
}

kit::http_response fake_ilink::send_typing(request_ctx& c) {
  std::string user, ticket;
  std::int64_t status = 0;
  if (auto e = need_string(c.body, "ilink_user_id", user); !e.empty())
    return bad_request(c.log_id, e);
  if (auto e = need_string(c.body, "typing_ticket", ticket); !e.empty())
    return bad_request(c.log_id, e);
  if (auto e = need_int(c.body, "status", status); !e.empty() || (status != 1 && status != 2)) {
    return bad_request(c.log_id, "'status' must be 1 (typing) or 2 (cancel)");
  }
  const auto it = typing_tickets_.find(c.acct->creds.account_id + "\n" + user);
  if (it == typing_tickets_.end() || it->second != ticket) {
    return reply(c.log_id, {{"ret", -3}, {"errmsg", "invalid typing_ticket"}});
  }
  typing_log_.push_back({c.acct->creds.account_id, user, status, now()});
  while (typing_log_.size() > max_typing_log) typing_log_.pop_front();
  if (typing_state_.size() >= max_typing_tickets) typing_state_.clear();
  typing_state_[c.acct->creds.account_id + "/" + user] = status;
  return reply(c.log_id, {{"ret", 0}, {"errmsg", ""}});
}

kit::http_response fake_ilink::notify_start(request_ctx& c) {
  if (auto f = faults_.take(fault_kind::fail_notifystart, c.req.path, c.acct->creds.account_id)) {
    if (f->http_status != 0)
      return reply_text(c.log_id, f->http_status, "fake-ilink: notifystart failed");
    return reply(c.log_id, {{"ret", *f->ret}, {"errcode", *f->errcode}, {"errmsg", f->errmsg}});
  }
  // A successful notifystart rebuilds a (soft-)expired session (the PR #161 premise).
  if (c.acct->session == session_state::expired) {
    c.acct->session = session_state::ok;
    c.acct->expired_paths.clear();
  }
  return reply(c.log_id, {{"ret", 0}, {"errmsg", ""}});
}

}  // namespace patchbay::fakes::ilink
