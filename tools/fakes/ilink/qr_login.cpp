// fake_ilink: the QR-code login flow (protocol note §1.5). get_bot_qrcode creates a code in state
// "wait"; POST /_fake/qrcode moves the current code (or, when none is open, the next one created)
// to any documented state; get_qrcode_status answers at once with the state (no server-side hold).
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

#include "fake_ilink.hpp"
#include "validate.hpp"

namespace patchbay::fakes::ilink {

namespace json = boost::json;

namespace {

constexpr std::size_t max_qr_codes = 16;
constexpr std::string_view qr_states[] = {"wait",
                                          "scaned",
                                          "confirmed",
                                          "expired",
                                          "need_verifycode",
                                          "verify_code_blocked",
                                          "scaned_but_redirect",
                                          "binded_redirect"};

bool terminal(std::string_view state) {
  return state == "confirmed" || state == "expired" || state == "verify_code_blocked" ||
         state == "binded_redirect";
}

kit::http_response control_answer(const json::object& o, unsigned status = 200) {
  kit::http_response r;
  r.status = status;
  r.body = json::serialize(o);
  return r;
}

}  // namespace

kit::http_response fake_ilink::qr_create(const kit::http_request& req, std::uint64_t log_id) {
  if (req.method != "POST")
    return reply(log_id, {{"ret", -1}, {"errmsg", "fake-ilink: get_bot_qrcode wants POST"}}, 405);
  if (auto e = check_post_headers(req); !e.empty()) return bad_request(log_id, e);
  if (!query_param(req.query, "bot_type"))
    return bad_request(log_id, "missing query parameter bot_type");
  json::object body;
  if (auto e = parse_body(req.body, false, body); !e.empty()) return bad_request(log_id, e);
  if (const auto* list = body.if_contains("local_token_list")) {
    const bool ok =
        list->is_array() && std::all_of(list->get_array().begin(), list->get_array().end(),
                                        [](const json::value& v) { return v.is_string(); });
    if (!ok) return bad_request(log_id, "local_token_list must be an array of strings");
  }
  qr_code q;
  q.id = ids_.qrcode();
  q.created_ms = now();
  if (qr_pending_) {
    qr_apply(q, *qr_pending_);
    qr_pending_.reset();
  }
  const std::string id = q.id;
  qrs_.push_back(std::move(q));
  while (qrs_.size() > max_qr_codes) qrs_.pop_front();
  return reply(log_id,
               {{"ret", 0}, {"qrcode", id}, {"qrcode_img_content", base_url_ + "/qr/" + id}});
}

kit::http_response fake_ilink::qr_status(const kit::http_request& req, std::uint64_t log_id) {
  if (req.method != "GET")
    return reply(log_id, {{"ret", -1}, {"errmsg", "fake-ilink: get_qrcode_status wants GET"}}, 405);
  if (auto e = check_common_headers(req); !e.empty()) return bad_request(log_id, e);
  const auto id = query_param(req.query, "qrcode");
  if (!id || id->empty()) return bad_request(log_id, "missing query parameter qrcode");
  const auto it =
      std::find_if(qrs_.begin(), qrs_.end(), [&](const qr_code& q) { return q.id == *id; });
  if (it == qrs_.end()) return reply(log_id, {{"status", "expired"}});
  qr_code& q = *it;
  if (!terminal(q.state) && now() - q.created_ms > settings_.qr_ttl_ms) q.state = "expired";
  if (q.state == "need_verifycode") {
    const auto code = query_param(req.query, "verify_code");
    if (code && *code == settings_.qr_verify_code) q.state = "scaned";
  }
  json::object o{{"status", q.state}};
  if (q.state == "scaned_but_redirect") o["redirect_host"] = q.redirect_host;
  if (q.state == "confirmed") {
    const account* a = find_account(q.account_id);
    if (a) {
      o["bot_token"] = a->creds.bot_token;
      o["ilink_bot_id"] = a->creds.account_id;
      o["baseurl"] = base_url_;
      o["ilink_user_id"] = a->creds.user_id;
    }
  }
  return reply(log_id, o);
}

void fake_ilink::qr_apply(qr_code& q, const json::object& body) {
  q.state = std::string(body.at("state").get_string());
  if (q.state == "confirmed") {
    const auto* acct = body.if_contains("account");
    const account* a = acct && acct->is_string() ? find_account(acct->get_string()) : nullptr;
    q.account_id = a ? a->creds.account_id : add_accounts(1).front().account_id;
  }
  if (q.state == "scaned_but_redirect") {
    const auto* host = body.if_contains("redirect_host");
    if (host && host->is_string()) {
      q.redirect_host = std::string(host->get_string());
    } else {
      const auto scheme = base_url_.find("://");
      q.redirect_host = scheme == std::string::npos ? base_url_ : base_url_.substr(scheme + 3);
    }
  }
}

kit::http_response fake_ilink::qr_control(const json::object& body) {
  std::string state, qrcode, acct, host;
  std::string err = need_string(body, "state", state);
  if (err.empty()) err = opt_string(body, "qrcode", qrcode);
  if (err.empty()) err = opt_string(body, "account", acct);
  if (err.empty()) err = opt_string(body, "redirect_host", host);
  if (err.empty() &&
      std::find(std::begin(qr_states), std::end(qr_states), state) == std::end(qr_states)) {
    err = "unknown QR state '" + state + "'";
  }
  if (err.empty() && !acct.empty() && !find_account(acct)) err = "unknown account '" + acct + "'";
  if (!err.empty()) return control_answer({{"error", err}}, 400);

  qr_code* target = nullptr;
  if (!qrcode.empty()) {
    const auto it =
        std::find_if(qrs_.begin(), qrs_.end(), [&](const qr_code& q) { return q.id == qrcode; });
    if (it == qrs_.end())
      return control_answer({{"error", "unknown qrcode '" + qrcode + "'"}}, 400);
    target = &*it;
  } else if (!qrs_.empty() && !terminal(qrs_.back().state)) {
    target = &qrs_.back();
  }
  if (!target) {
    qr_pending_ = body;
    return control_answer({{"pending", true}, {"state", state}});
  }
  qr_apply(*target, body);
  json::object o{{"qrcode", target->id}, {"state", target->state}};
  if (const account* a = find_account(target->account_id)) {
    o["account"] = json::object{{"account_id", a->creds.account_id},
                                {"bot_token", a->creds.bot_token},
                                {"user_id", a->creds.user_id}};
  }
  return control_answer(o);
}

}  // namespace patchbay::fakes::ilink
