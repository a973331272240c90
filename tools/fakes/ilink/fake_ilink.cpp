// fake_ilink: dispatch of every request, transport faults, and the reply helpers. The endpoints
// live in bot_api.cpp (iLink bot API), qr_login.cpp, cdn.cpp and control_api.cpp.
#include "fake_ilink.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

#include "validate.hpp"

namespace patchbay::fakes::ilink {

namespace json = boost::json;

namespace {

constexpr std::string_view bot_prefix = "/ilink/bot/";

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

fake_ilink::fake_ilink(const settings& s, std::uint64_t seed, clock_fn now)
    : settings_(s),
      initial_settings_(s),
      now_(now ? std::move(now) : clock_fn(system_now_ms)),
      ids_(seed) {}

std::vector<account_creds> fake_ilink::add_accounts(std::size_t n) {
  std::vector<account_creds> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto a = std::make_unique<account>();
    do {
      a->creds.account_id = ids_.account_id();
    } while (by_id_.count(a->creds.account_id));
    a->creds.bot_token = ids_.bot_token();
    a->creds.user_id = ids_.user_id();
    a->index = static_cast<std::uint32_t>(accounts_.size());
    a->known_users.insert(a->creds.user_id);
    by_id_[a->creds.account_id] = a.get();
    by_token_[a->creds.bot_token] = a.get();
    out.push_back(a->creds);
    accounts_.push_back(std::move(a));
  }
  return out;
}

fake_ilink::account* fake_ilink::find_account(std::string_view account_id) {
  const auto it = by_id_.find(std::string(account_id));
  return it == by_id_.end() ? nullptr : it->second;
}

fake_ilink::account* fake_ilink::account_by_token(const kit::http_request& req) {
  const auto token = bearer_token(req);
  if (!token) return nullptr;
  const auto it = by_token_.find(*token);
  return it == by_token_.end() ? nullptr : it->second;
}

outcome fake_ilink::handle(const kit::http_request& req) {
  if (req.path.rfind("/_fake/", 0) == 0) return control(req);
  const std::uint64_t log_id = log_.add(req, now(), settings_.max_requests);
  return route(req, log_id, false);
}

outcome fake_ilink::route(const kit::http_request& req, std::uint64_t log_id, bool after_stall) {
  outcome out;
  account* acct = account_by_token(req);
  const std::string account_id = acct ? acct->creds.account_id : std::string();
  if (acct) log_.set_account(log_id, account_id);

  // Transport faults first: they stand for the network and gateways in front of the service.
  if (!after_stall) {
    if (faults_.take(fault_kind::drop_connection, req.path, account_id)) {
      log_.dropped(log_id);
      out.act.what = action::kind::drop;
      return out;
    }
    if (auto f = faults_.take(fault_kind::http_status, req.path, account_id)) {
      std::string body =
          f->body.empty() ? "fake-ilink: injected HTTP " + std::to_string(f->http_status) : f->body;
      out.act.response = reply_text(log_id, f->http_status, body);
      // The CDN says why in a header (§4.3).
      if (req.path.rfind("/c2c/", 0) == 0)
        out.act.response.headers.emplace_back("x-error-message", std::move(body));
      return out;
    }
    if (auto f = faults_.take(fault_kind::stall, req.path, account_id)) {
      const std::uint64_t ticket = next_stall_++;
      stalled_.emplace(ticket, stalled_request{req, log_id});
      out.act.what = action::kind::stall;
      out.act.ticket = ticket;
      out.act.delay = std::chrono::milliseconds(f->duration_ms);
      return out;
    }
  }

  if (req.path == "/ilink/bot/get_bot_qrcode") {
    out.act.response = qr_create(req, log_id);
    return out;
  }
  if (req.path == "/ilink/bot/get_qrcode_status") {
    out.act.response = qr_status(req, log_id);
    return out;
  }
  if (req.path == "/c2c/upload" || req.path == "/c2c/download") {
    out.act.response = cdn_request(req, log_id);
    return out;
  }
  if (req.path.rfind(bot_prefix, 0) != 0) {
    out.act.response =
        reply(log_id, {{"ret", -1}, {"errmsg", "fake-ilink: unknown path " + req.path}}, 404);
    return out;
  }
  const std::string_view endpoint = std::string_view(req.path).substr(bot_prefix.size());
  static constexpr std::string_view known[] = {"getupdates",  "sendmessage",     "getconfig",
                                               "sendtyping",  "msg/notifystart", "msg/notifystop",
                                               "getuploadurl"};
  if (std::find(std::begin(known), std::end(known), endpoint) == std::end(known)) {
    out.act.response =
        reply(log_id, {{"ret", -1}, {"errmsg", "fake-ilink: unknown path " + req.path}}, 404);
    return out;
  }
  if (req.method != "POST") {
    out.act.response =
        reply(log_id, {{"ret", -1}, {"errmsg", "fake-ilink: " + req.path + " wants POST"}}, 405);
    return out;
  }
  // Like the real service: an unknown or missing token is an HTTP 200 "session timeout".
  if (!acct) {
    out.act.response = session_timeout(log_id, settings_.session_error_with_ret);
    return out;
  }
  request_ctx c{req, log_id, acct, after_stall, {}};
  if (auto e = check_post_headers(req); !e.empty()) {
    out.act.response = bad_request(log_id, e);
    return out;
  }
  if (auto e = parse_body(req.body, true, c.body); !e.empty()) {
    out.act.response = bad_request(log_id, e);
    return out;
  }
  if (acct->session != session_state::ok) {
    for (const auto& p : acct->expired_paths) {
      if (path_matches(p, req.path)) {
        out.act.response =
            session_timeout(log_id, acct->expiry_with_ret || settings_.session_error_with_ret);
        return out;
      }
    }
  }
  return bot_endpoint(c, endpoint);
}

std::optional<kit::http_response> fake_ilink::poll_timeout(std::uint64_t ticket) {
  auto w = waiters_.take(ticket);
  if (!w) return std::nullopt;
  account* a = find_account(w->account_id);
  if (!a) return std::nullopt;
  return updates_answer(*a, w->after_seq, w->log_id);
}

outcome fake_ilink::stall_over(std::uint64_t ticket) {
  const auto it = stalled_.find(ticket);
  if (it == stalled_.end()) return {};
  stalled_request s = std::move(it->second);
  stalled_.erase(it);
  return route(s.req, s.log_id, true);
}

kit::http_response fake_ilink::reply(std::uint64_t log_id, const json::object& answer,
                                     unsigned status) {
  log_.answered(log_id, status, &answer);
  kit::http_response r;
  r.status = status;
  r.body = json::serialize(answer);
  return r;
}

kit::http_response fake_ilink::reply_text(std::uint64_t log_id, unsigned status, std::string body,
                                          std::string content_type) {
  log_.answered(log_id, status, nullptr);
  kit::http_response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

kit::http_response fake_ilink::session_timeout(std::uint64_t log_id, bool with_ret) {
  json::object o;
  if (with_ret) o["ret"] = -14;
  o["errcode"] = -14;
  o["errmsg"] = "session timeout";
  return reply(log_id, o);
}

kit::http_response fake_ilink::bad_request(std::uint64_t log_id, const std::string& what) {
  return reply(log_id, {{"ret", -1}, {"errcode", -1}, {"errmsg", "fake-ilink: " + what}}, 400);
}

}  // namespace patchbay::fakes::ilink
