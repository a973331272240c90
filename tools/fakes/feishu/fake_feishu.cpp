#include "fake_feishu.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>

#include "fake_http.hpp"
#include "feishu_lark/proto/ws_frames.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;
namespace ff = plugins::feishu_family;
using common::query_param;

namespace {
constexpr std::size_t max_discoveries = 10'000;
constexpr std::int64_t code_credentials_missing = 1000040344;
constexpr std::int64_t code_connection_limit = 1000040350;
}  // namespace

fake_feishu::fake_feishu(settings s, std::uint64_t seed, clock_fn now)
    : settings_(std::move(s)), now_(std::move(now)), ids_(seed) {
  // service_id travels in the URL and in every ping; node parses it with Number() (§2.2).
  service_id_ = static_cast<std::int32_t>(33'554'432 + ids_.next(1'000'000));
  epoch_offset_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() -
                     now_();
}

void fake_feishu::set_base_urls(std::string http_base, std::string ws_base) {
  http_base_ = std::move(http_base);
  ws_base_ = std::move(ws_base);
}

std::vector<app_creds> fake_feishu::add_apps(std::size_t n) {
  std::vector<app_creds> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(apps_.add(ids_).creds);
  return out;
}

kit::http_response fake_feishu::answer(std::uint64_t log_id, unsigned status, json::object body,
                                       kit::http_headers headers) {
  std::optional<std::int64_t> code;
  if (const auto* c = body.if_contains("code"); c && c->is_int64()) code = c->get_int64();
  log_.answered(log_id, status, code);
  return common::json_response(status, body, std::move(headers));
}

kit::http_response fake_feishu::api_error(std::uint64_t log_id, unsigned status, std::int64_t code,
                                          std::string msg) {
  // The real envelope carries error.log_id and a troubleshooter link (§1).
  json::object body{{"code", code},
                    {"msg", std::move(msg)},
                    {"error", json::object{{"log_id", "fake" + ids_.hex(28)}}}};
  return answer(log_id, status, std::move(body), {{"X-Tt-Logid", "fake" + ids_.hex(16)}});
}

outcome fake_feishu::handle(const kit::http_request& req) {
  if (req.path.rfind("/_fake/", 0) == 0) return control(req);
  outcome o;
  // Upload bodies are binary: the log keeps their parts' headers and fields only.
  std::string summary;
  if (req.path == "/open-apis/im/v1/images" || req.path == "/open-apis/im/v1/files") {
    for (const auto& [k, v] : req.headers)
      if (common::iequals(k, "Content-Type")) summary = multipart_summary(v, req.body);
  }
  const auto log_id = log_.add_http(now(), req.method, req.path, req.query,
                                    req.path == "/ws/v2" ? std::string_view()
                                    : !summary.empty()   ? std::string_view(summary)
                                                         : std::string_view(req.body));
  if (req.path == "/callback/ws/endpoint") {
    o.response = req.method == "POST" ? discovery(req, log_id)
                                      : api_error(log_id, 405, 405, "method not allowed");
  } else if (req.path == "/ws/v2") {
    return upgrade(req, log_id);
  } else if (req.path.rfind("/open-apis/", 0) == 0) {
    o.response = open_api(req, log_id);
  } else {
    o.response = api_error(log_id, 404, 404, "404 page not found");
  }
  return o;
}

kit::http_response fake_feishu::discovery(const kit::http_request& req, std::uint64_t log_id) {
  json::object body;
  common::parse_object(req.body, body);  // go-sdk sends no Content-Type: do not require it
  const auto str = [&](const char* k) {
    const auto* v = body.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  const std::string app_id = str("AppID");
  const std::string secret = str("AppSecret");
  const auto record = [&](std::int64_t code) {
    if (discoveries_.size() >= max_discoveries) discoveries_.pop_front();
    discoveries_.push_back({now(), app_id, code});
  };
  // Error bodies carry a "data" object so node-sdk reaches its fatal branch (§2.1).
  const auto refuse = [&](unsigned status, std::int64_t code, std::string msg, bool with_data) {
    record(code);
    json::object b{{"code", code}, {"msg", std::move(msg)}};
    if (with_data) b["data"] = json::object{};
    return answer(log_id, status, std::move(b));
  };

  if (auto f = faults_.take("refuse_discovery", app_id)) {
    const auto* c = f->if_contains("code");
    const auto* s = f->if_contains("http_status");
    const auto* m = f->if_contains("msg");
    const auto* d = f->if_contains("data");
    const std::int64_t code = c && c->is_int64() ? c->get_int64() : 1;
    const unsigned status = s && s->is_int64() ? static_cast<unsigned>(s->get_int64()) : 200u;
    std::string msg = m && m->is_string() ? std::string(m->get_string())
                      : code == 1         ? "system busy"
                                          : "refused by fake fault";
    return refuse(status, code, std::move(msg), !(d && d->is_bool() && !d->get_bool()));
  }
  if (app_id.empty() || secret.empty()) {
    return refuse(200, code_credentials_missing, "AppID or AppSecret missing", true);
  }
  app_state* app = apps_.find(app_id);
  if (!app || app->creds.app_secret != secret) {
    return refuse(200, settings_.bad_credentials_code, "app_id or app_secret is invalid", true);
  }
  if (app->disabled) return refuse(200, settings_.disabled_app_code, "forbidden", true);

  record(0);
  const std::string ticket = apps_.issue_ticket(*app, ids_, now());
  // fpid first: node-sdk glues the URL prefix onto the first key (§2.2).
  const std::string url = ws_base_ + "/ws/v2?fpid=1&aid=" + app_id.substr(4) +
                          "&device_id=" + ids_.hex(16) +
                          "&service_id=" + std::to_string(service_id_) + "&ticket=" + ticket;
  json::object cfg{{"PingInterval", settings_.ping_interval_s},
                   {"ReconnectCount", settings_.reconnect_count},
                   {"ReconnectInterval", settings_.reconnect_interval_s},
                   {"ReconnectNonce", settings_.reconnect_nonce_s}};
  return answer(
      log_id, 200,
      json::object{
          {"code", 0}, {"msg", "ok"}, {"data", json::object{{"URL", url}, {"ClientConfig", cfg}}}});
}

outcome fake_feishu::upgrade(const kit::http_request& req, std::uint64_t log_id) {
  outcome o;
  const auto refuse = [&](unsigned http_status, std::string status, std::string msg,
                          const std::string& autherrcode) {
    kit::http_headers h{{"Handshake-Status", status}, {"Handshake-Msg", msg}};
    if (!autherrcode.empty()) h.emplace_back("Handshake-Autherrcode", autherrcode);
    o.response = answer(log_id, http_status,
                        json::object{{"code", std::stoll(status)}, {"msg", msg}}, std::move(h));
    return o;
  };
  const std::string ticket = query_param(req.query, "ticket").value_or("");
  app_state* app = apps_.take_ticket(ticket, now());
  if (auto f = faults_.take("refuse_handshake", app ? app->creds.app_id : std::string())) {
    const auto* s = f->if_contains("handshake_status");
    const auto* a = f->if_contains("autherrcode");
    const auto* m = f->if_contains("msg");
    const auto* h = f->if_contains("http_status");
    const std::int64_t hs = s && s->is_int64() ? s->get_int64() : 514;
    return refuse(h && h->is_int64() ? static_cast<unsigned>(h->get_int64()) : 403u,
                  std::to_string(hs),
                  m && m->is_string() ? std::string(m->get_string()) : "refused by fake fault",
                  a && a->is_int64() ? std::to_string(a->get_int64()) : std::string());
  }
  if (!app) return refuse(403, "514", "ticket invalid, expired or already used", "");
  if (app->disabled) return refuse(403, "403", "forbidden", "");
  auto& open = open_by_app_[app->creds.app_id];
  if (open.size() >= settings_.max_connections_per_app) {
    return refuse(403, "514", "too many connections", std::to_string(code_connection_limit));
  }
  connection c;
  c.id = next_conn_++;
  c.app_id = app->creds.app_id;
  const auto sid = query_param(req.query, "service_id");
  c.service_id = sid && !sid->empty() && sid->size() < 10 &&
                         sid->find_first_not_of("0123456789") == std::string::npos
                     ? static_cast<std::int32_t>(std::stol(*sid))
                     : service_id_;
  c.opened_ms = now();
  open.push_back(c.id);  // counts against the limit while the 101 goes out
  conns_.emplace(c.id, std::move(c));
  log_.answered(log_id, 101, std::nullopt);
  o.what = outcome::kind::upgrade;
  o.conn = next_conn_ - 1;
  // Bound the history: forget the oldest ended connections.
  while (conns_.size() > 10'000) {
    auto it = std::find_if(conns_.begin(), conns_.end(), [](auto& kv) { return kv.second.ended; });
    if (it == conns_.end()) break;
    conns_.erase(it);
  }
  return o;
}

std::size_t fake_feishu::open_connections() const {
  std::size_t n = 0;
  for (const auto& [app, v] : open_by_app_) n += v.size();
  return n;
}

bool fake_feishu::connection_alive(std::uint64_t conn) const {
  const auto it = conns_.find(conn);
  return it != conns_.end() && !it->second.ended;
}

kit::http_response fake_feishu::webhook_done(const webhook_job& job, const std::string& error,
                                             unsigned status, const std::string& body) {
  json::object o{{"status", status},
                 {"body", body.substr(0, std::size_t{64} * 1024)},
                 {"event_id", job.event_id},
                 {"message_id", job.message_id}};
  if (!error.empty()) o["error"] = error;
  return common::json_response(200, o);
}

}  // namespace patchbay::fakes::feishu
