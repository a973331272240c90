// fake_ilink: the control API under /_fake/ (docs/architecture.md §10; the ilink section of
// tools/fakes/README.md lists every endpoint and field). Control requests are not recorded in
// /_fake/requests and never see faults.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "fake_ilink.hpp"
#include "validate.hpp"

namespace patchbay::fakes::ilink {

namespace json = boost::json;

namespace {

constexpr std::size_t max_accounts = 100'000;
constexpr std::size_t max_tracked_tokens = 200'000;
constexpr std::size_t max_known_users = 10'000;

kit::http_response json_answer(const json::object& o, unsigned status = 200) {
  kit::http_response r;
  r.status = status;
  r.body = json::serialize(o);
  return r;
}

kit::http_response error_answer(unsigned status, std::string_view what) {
  return json_answer({{"error", what}}, status);
}

json::object creds_json(const account_creds& c) {
  return {{"account_id", c.account_id}, {"bot_token", c.bot_token}, {"user_id", c.user_id}};
}

std::optional<std::uint64_t> read_id(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

}  // namespace

fake_ilink::account* fake_ilink::pick_account(const json::object& body, std::string& err) {
  std::string id;
  if (auto e = opt_string(body, "account", id); !e.empty()) {
    err = e;
    return nullptr;
  }
  if (id.empty()) {
    if (accounts_.size() == 1) return accounts_.front().get();
    err = "'account' is required when there is not exactly one account";
    return nullptr;
  }
  account* a = find_account(id);
  if (!a) err = "unknown account '" + id + "'";
  return a;
}

outcome fake_ilink::control(const kit::http_request& req) {
  outcome out;
  auto& r = out.act.response;
  const std::string& p = req.path;
  json::object body;
  if (req.method == "POST" && !req.body.empty()) {
    json::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) {
      r = error_answer(400, "the body must be a JSON object");
      return out;
    }
    body = std::move(v.get_object());
  }
  const std::string filter = query_param(req.query, "account").value_or("");

  if (req.method == "GET") {
    if (p == "/_fake/sent") {
      json::array a;
      for (const auto& s : sent_) {
        if (!filter.empty() && s.account != filter) continue;
        a.push_back(json::object{{"account", s.account},
                                 {"to", s.to},
                                 {"text", s.text},
                                 {"context_token", s.context_token},
                                 {"client_id", s.client_id},
                                 {"time_ms", s.time_ms},
                                 {"item_type", s.item_type},
                                 {"run_id", s.run_id},
                                 {"message_id", s.message_id},
                                 {"media", s.media}});
      }
      r = json_answer({{"sent", std::move(a)}});
    } else if (p == "/_fake/typing") {
      json::array a;
      for (const auto& t : typing_log_) {
        if (!filter.empty() && t.account != filter) continue;
        a.push_back(json::object{{"account", t.account},
                                 {"user", t.user},
                                 {"status", t.status},
                                 {"time_ms", t.time_ms}});
      }
      json::object state;
      for (const auto& [key, st] : typing_state_) state[key] = st;
      r = json_answer({{"typing", std::move(a)}, {"state", std::move(state)}});
    } else if (p == "/_fake/requests") {
      r = json_answer({{"requests", log_.to_json(filter)}});
    } else if (p == "/_fake/accounts") {
      static constexpr const char* states[] = {"ok", "expired", "expired_hard"};
      json::array a;
      for (const auto& acct : accounts_) {
        auto o = creds_json(acct->creds);
        o["session"] = states[static_cast<int>(acct->session)];
        o["queued"] = acct->box.size();
        a.push_back(std::move(o));
      }
      r = json_answer({{"accounts", std::move(a)}, {"parked_polls", waiters_.size()}});
    } else if (p == "/_fake/faults") {
      r = json_answer({{"faults", faults_.to_json()}});
    } else if (p == "/_fake/config") {
      r = json_answer(to_json(settings_));
    } else {
      r = error_answer(404, "unknown control endpoint " + p);
    }
    return out;
  }
  if (req.method != "POST") {
    r = error_answer(405, "control endpoints take GET or POST");
    return out;
  }

  std::string err;
  if (p == "/_fake/accounts") {
    const auto* n = body.if_contains("count");
    const auto count = n ? read_id(*n) : std::optional<std::uint64_t>(1);
    if (!count || *count < 1 || *count + accounts_.size() > max_accounts) {
      r = error_answer(400, "'count' must be an integer >= 1 (at most 100000 accounts in all)");
      return out;
    }
    json::array a;
    for (const auto& c : add_accounts(static_cast<std::size_t>(*count))) a.push_back(creds_json(c));
    r = json_answer({{"accounts", std::move(a)}});
  } else if (p == "/_fake/inject") {
    return inject(body);
  } else if (p == "/_fake/fault") {
    return arm_fault(body);
  } else if (p == "/_fake/relogin") {
    account* a = pick_account(body, err);
    if (!a) {
      r = error_answer(400, err);
      return out;
    }
    a->session = session_state::ok;
    a->expired_paths.clear();
    r = json_answer({{"account", a->creds.account_id}, {"session", "ok"}});
  } else if (p == "/_fake/qrcode") {
    r = qr_control(body);
  } else if (p == "/_fake/reset") {
    reset();
    r = json_answer({{"reset", true}});
  } else if (p == "/_fake/config") {
    if (auto e = apply_patch(settings_, body); !e.empty()) {
      r = error_answer(400, e);
    } else {
      r = json_answer(to_json(settings_));
    }
  } else if (p == "/_fake/media") {
    r = stage_media(body);
  } else {
    r = error_answer(404, "unknown control endpoint " + p);
  }
  return out;
}

outcome fake_ilink::inject(const json::object& body) {
  outcome out;
  std::string err;
  account* a = pick_account(body, err);
  std::string from, text, context_token, ref_title, ref_text;
  if (a) from = a->creds.user_id;
  for (auto [name, target] :
       {std::pair{"from", &from}, std::pair{"text", &text},
        std::pair{"context_token", &context_token}, std::pair{"ref_title", &ref_title},
        std::pair{"ref_text", &ref_text}}) {
    if (err.empty()) err = opt_string(body, name, *target);
  }
  std::optional<std::uint64_t> message_id, ref_svr_id;
  if (const auto* v = body.if_contains("message_id");
      v && err.empty() && !(message_id = read_id(*v))) {
    err = "'message_id' must be a non-negative integer";
  }
  if (const auto* v = body.if_contains("ref_svr_id");
      v && err.empty() && !(ref_svr_id = read_id(*v))) {
    err = "'ref_svr_id' must be a non-negative integer";
  }
  // create_time_ms: when the message was "sent" (default now), e.g. long ago for a late message.
  std::optional<std::uint64_t> create_time;
  if (const auto* v = body.if_contains("create_time_ms");
      v && err.empty() && !(create_time = read_id(*v))) {
    err = "'create_time_ms' must be a non-negative integer";
  }
  // message_type / message_state: 1 / 2 (a user's finished message) unless the test marks it
  // bot-authored (type 2) or still generating (state 1).
  std::optional<std::uint64_t> message_type, message_state;
  if (const auto* v = body.if_contains("message_type");
      v && err.empty() && !(message_type = read_id(*v))) {
    err = "'message_type' must be a non-negative integer";
  }
  if (const auto* v = body.if_contains("message_state");
      v && err.empty() && !(message_state = read_id(*v))) {
    err = "'message_state' must be a non-negative integer";
  }
  const auto* raw_items = body.if_contains("item_list");
  if (raw_items && !raw_items->is_array() && err.empty()) err = "'item_list' must be an array";
  if (err.empty() && from.empty()) err = "'from' must not be empty";
  if (!err.empty()) {
    out.act.response = error_answer(400, err);
    return out;
  }

  const std::int64_t t = create_time ? static_cast<std::int64_t>(*create_time) : now();
  const std::uint64_t id = message_id ? *message_id : ids_.message_id();
  if (context_token.empty()) context_token = ids_.context_token();
  json::array items;
  if (raw_items) {
    items = raw_items->get_array();
  } else {
    json::object item{{"type", 1},           {"create_time_ms", t},
                      {"update_time_ms", t}, {"is_completed", true},
                      {"msg_id", id},        {"text_item", json::object{{"text", text}}}};
    if (ref_svr_id || !ref_title.empty() || !ref_text.empty()) {
      json::object ref;
      if (ref_svr_id) ref["svr_id"] = *ref_svr_id;
      if (!ref_title.empty()) ref["title"] = ref_title;
      if (!ref_text.empty())
        ref["message_item"] = json::object{{"type", 1}, {"text_item", {{"text", ref_text}}}};
      item["ref_msg"] = std::move(ref);
    }
    items.push_back(std::move(item));
  }
  stored_message m;
  m.message_id = id;
  m.body = {{"from_user_id", from},
            {"to_user_id", a->creds.account_id},
            {"create_time_ms", t},
            {"update_time_ms", t},
            {"message_type", message_type ? *message_type : 1},
            {"message_state", message_state ? *message_state : 2},
            {"item_list", std::move(items)},
            {"context_token", context_token}};
  const bool twice =
      faults_.take_any_path(fault_kind::duplicate_delivery, a->creds.account_id).has_value();
  stored_message copy;
  if (twice) copy = m;
  const std::uint64_t seq = a->box.append(std::move(m), settings_.retain_messages);
  if (twice) {
    copy.duplicate = true;
    a->box.append(std::move(copy), settings_.retain_messages);
  }

  if (!tokens_.count(context_token)) token_order_.push_back(context_token);
  tokens_[context_token] = token_info{a->creds.account_id, from, t, 0};
  while (token_order_.size() > max_tracked_tokens) {
    tokens_.erase(token_order_.front());
    token_order_.pop_front();
  }
  if (a->known_users.size() < max_known_users) a->known_users.insert(from);

  out.ready = wake_polls(*a);
  out.act.response =
      json_answer({{"message_id", id}, {"context_token", context_token}, {"seq", seq}});
  return out;
}

std::vector<completion> fake_ilink::wake_polls(account& a) {
  std::vector<completion> done;
  for (auto& w : waiters_.take_account(a.creds.account_id)) {
    done.push_back({w.ticket, updates_answer(a, w.after_seq, w.log_id)});
  }
  return done;
}

outcome fake_ilink::arm_fault(const json::object& body) {
  outcome out;
  auto parsed = parse_fault(body);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    out.act.response = error_answer(400, *e);
    return out;
  }
  fault f = std::move(std::get<fault>(parsed));
  if (!f.account.empty() && !find_account(f.account)) {
    out.act.response = error_answer(400, "unknown account '" + f.account + "'");
    return out;
  }
  if (f.kind == fault_kind::expire_session || f.kind == fault_kind::expire_session_hard) {
    out.ready = expire_sessions(f);
  } else {
    faults_.arm(f);
  }
  out.act.response = json_answer({{"armed", to_json(f)}});
  return out;
}

std::vector<completion> fake_ilink::expire_sessions(const fault& f) {
  std::vector<completion> done;
  const bool hard = f.kind == fault_kind::expire_session_hard;
  bool polls_affected = false;
  for (const auto& p : f.paths)
    polls_affected = polls_affected || path_matches(p, "/ilink/bot/getupdates");
  for (auto& a : accounts_) {
    if (!f.account.empty() && a->creds.account_id != f.account) continue;
    if (a->session == session_state::expired_hard && !hard) continue;  // soft never weakens hard
    a->session = hard ? session_state::expired_hard : session_state::expired;
    a->expired_paths = f.paths;
    a->expiry_with_ret = f.with_ret;
    if (!polls_affected) continue;
    // Polls already parked learn it at once, as they would when the server drops the session.
    for (auto& w : waiters_.take_account(a->creds.account_id)) {
      done.push_back(
          {w.ticket, session_timeout(w.log_id, f.with_ret || settings_.session_error_with_ret)});
    }
  }
  return done;
}

void fake_ilink::reset() {
  faults_.clear();
  for (auto& a : accounts_) {
    a->box.clear();
    a->session = session_state::ok;
    a->expired_paths.clear();
  }
  log_.clear();
  sent_.clear();
  tokens_.clear();
  token_order_.clear();
  client_ids_.clear();
  client_id_order_.clear();
  typing_tickets_.clear();
  typing_log_.clear();
  typing_state_.clear();
  qrs_.clear();
  qr_pending_.reset();
  cdn_.clear();
  settings_ = initial_settings_;
}

}  // namespace patchbay::fakes::ilink
