// fake_nyxid: dispatch of the API paths, faults, deliveries (control API: control_api.cpp).
#include "fake_nyxid.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>

#include "patchbay/common/json_util.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::string_view proxy_prefix = "/api/v1/proxy/s/";

}  // namespace

fake_nyxid::fake_nyxid(startup_options options, std::uint64_t seed, clock_fn now)
    : options_(std::move(options)),
      now_(now ? std::move(now) : clock_fn(wall_ms)),
      ids_(seed),
      keys_("fake-nyxid", options_.key_alg),
      relay_(relay_settings{}, keys_, ids_),
      oauth_(oauth_settings{}, keys_, ids_),
      proxy_(ids_),
      cb_{relay_, keys_, ids_, "", options_.callback_url, ""} {
  const auto& key = relay_.add_api_key(
      "patchbay-agent",
      options_.api_key.empty() ? std::nullopt : std::optional<std::string>(options_.api_key));
  api_key_id_ = key.id;
  cb_.api_key_id = key.id;
  client_id_ =
      oauth_.add_client(std::string("openid ") + std::string(broker_scope) + " proxy").client_id;
  set_base_url(base_url_);
}

void fake_nyxid::set_base_url(std::string url) {
  base_url_ = std::move(url);
  const std::string issuer = options_.issuer.empty() ? base_url_ : options_.issuer;
  relay_.settings().issuer = issuer;
  oauth_.settings().issuer = issuer;
  cb_.issuer = issuer;
}

json::object fake_nyxid::startup_info(const std::string& listen) const {
  const auto* key = relay_.key_by_id(api_key_id_);
  return json::object{{"listen", listen},
                      {"base_url", base_url_},
                      {"issuer", cb_.issuer},
                      {"audience", callback_audience},
                      {"reply_audience", reply_audience},
                      {"oidc_url", base_url_ + "/.well-known/openid-configuration"},
                      {"jwks_uri", base_url_ + "/.well-known/jwks.json"},
                      {"api_key", key ? key->key : std::string()},
                      {"api_key_id", api_key_id_},
                      {"oauth_client_id", client_id_},
                      {"authorize_url", base_url_ + "/oauth/authorize"},
                      {"token_url", base_url_ + "/oauth/token"},
                      {"proxy_slug", options_.proxy_slug},
                      {"proxy_base", base_url_ + std::string(proxy_prefix) + options_.proxy_slug},
                      {"callback_url", cb_.callback_url},
                      {"kid", keys_.active().kid}};
}

std::optional<fault> fake_nyxid::take_fault(std::string_view endpoint,
                                            std::initializer_list<const char*> kinds) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->endpoint != "any" && it->endpoint != endpoint) continue;
    bool kind_ok = false;
    for (const char* k : kinds) kind_ok = kind_ok || it->kind == k;
    if (!kind_ok) continue;
    fault f = *it;
    if (it->count > 0 && --it->count == 0) faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

action fake_nyxid::handle(const kit::http_request& req) {
  if (req.path.rfind("/_fake/", 0) == 0) return control(req);
  return api(req);
}

std::string fake_nyxid::credential_kind(std::string_view authorization) const {
  if (authorization.size() <= 7 || !iequals(authorization.substr(0, 7), "bearer ")) return "none";
  const std::string_view token = authorization.substr(7);
  if (relay_.key_by_secret(token)) return "api_key";
  auto v = keys_.verify(token);
  if (v.status != key_store::verify_status::ok) return "other";
  const auto type = json_util::string_at(v.claims, "token_type");
  if (type == "relay_reply") return "reply_token";
  if (type == "access") return "access_token";
  if (type == "user") return "user_token";
  return "other";
}

action fake_nyxid::finish(std::uint64_t seq, unsigned status, const json::object& body,
                          const std::string& fault_kind) {
  log_.answered(seq, status, &body);
  if (auto* r = log_.find(seq); r && !fault_kind.empty()) r->fault = fault_kind;
  action a;
  a.response = json_response(status, body);
  return a;
}

action fake_nyxid::api(const kit::http_request& req) {
  std::string endpoint = "other";
  const std::string& p = req.path;
  if (p == "/.well-known/openid-configuration")
    endpoint = "discovery";
  else if (p == "/.well-known/jwks.json")
    endpoint = "jwks";
  else if (p == "/api/v1/channel-relay/reply")
    endpoint = "reply";
  else if (p == "/api/v1/channel-relay/reply/update")
    endpoint = "reply_update";
  else if (p.rfind(proxy_prefix, 0) == 0)
    endpoint = "proxy";
  else if (p == "/oauth/authorize")
    endpoint = "authorize";
  else if (p == "/oauth/token")
    endpoint = "token";
  else if (p == "/oauth/register")
    endpoint = "register";
  else if (p.rfind("/oauth/bindings/", 0) == 0)
    endpoint = req.method == "DELETE" ? "revoke" : "binding";
  const std::uint64_t seq = log_.add(req, endpoint, now());
  if (auto* r = log_.find(seq)) r->credential = credential_kind(req.header("authorization"));

  // Faults that answer before anything runs (nothing consumed).
  if (auto f = take_fault(endpoint, {"status"})) {
    json::object body;
    if (endpoint == "token" || endpoint == "authorize" || endpoint == "revoke") {
      body = {{"error", f->error.empty() ? "server_error" : f->error},
              {"error_description", f->message.empty() ? "fake fault" : f->message}};
    } else {
      body = {{"error", f->error.empty() ? "internal_error" : f->error},
              {"error_code", f->error_code ? f->error_code : 1000},
              {"message", f->message.empty() ? "An internal error occurred" : f->message}};
    }
    return finish(seq, f->status ? f->status : 500, body, "status");
  }

  action a;
  if (endpoint == "discovery" && req.method == "GET") {
    a = finish(seq, 200,
               json::object{{"issuer", cb_.issuer},
                            {"jwks_uri", base_url_ + "/.well-known/jwks.json"},
                            {"authorization_endpoint", base_url_ + "/oauth/authorize"},
                            {"token_endpoint", base_url_ + "/oauth/token"},
                            {"registration_endpoint", base_url_ + "/oauth/register"},
                            {"response_types_supported", json::array{"code"}},
                            {"code_challenge_methods_supported", json::array{"S256"}},
                            {"id_token_signing_alg_values_supported", json::array{"RS256"}}},
               "");
  } else if (endpoint == "jwks" && req.method == "GET") {
    log_.answered(seq, 200, nullptr);
    a.response.body = keys_.jwks_json();
  } else if ((endpoint == "reply" || endpoint == "reply_update") && req.method == "POST") {
    a = relay_call(req, seq, endpoint == "reply_update");
  } else if (endpoint == "proxy") {
    a = proxy_call(req, seq);
  } else if (endpoint != "other") {
    a = oauth_call(req, seq, endpoint);
  } else {
    a = finish(seq, 404,
               json::object{{"error", "not_found"},
                            {"error_code", 1003},
                            {"message", "Not found: " + req.method + " " + req.path}},
               "");
  }
  if (a.what == action::kind::respond) {
    // Transport faults after the handler ran (a reply token is consumed by now).
    if (auto f = take_fault(endpoint, {"delay", "drop"})) {
      if (auto* r = log_.find(seq)) r->fault = f->kind;
      if (f->kind == "drop") {
        a.what = action::kind::drop;
      } else {
        a.what = action::kind::delay;
        a.delay_ms = f->ms > 0 ? f->ms : 60'000;
      }
    }
  }
  return a;
}

action fake_nyxid::relay_call(const kit::http_request& req, std::uint64_t seq, bool update) {
  std::string applied;
  const platform_hook hook = [&](std::string_view endpoint) -> std::optional<platform_failure> {
    auto f = take_fault(endpoint, {"platform_error"});
    if (!f) return std::nullopt;
    applied = "platform_error";
    platform_failure p;
    p.status = f->status ? f->status : 502;
    if (p.status == 400) p.error = "validation_error", p.error_code = 1008;
    if (p.status >= 500 && p.status != 502) p.error = "internal_error", p.error_code = 1000;
    if (!f->error.empty()) p.error = f->error;
    if (f->error_code) p.error_code = f->error_code;
    p.message = f->message;
    p.lark_code = f->lark_code;
    return p;
  };
  const std::string_view auth = req.header("authorization");
  relay_answer r = update ? relay_.update(auth, req.body, now(), hook)
                          : relay_.reply(auth, req.body, now(), hook);
  if (auto* rec = log_.find(seq)) {
    rec->jti = r.jti;
    if (!r.credential.empty()) rec->credential = r.credential;
  }
  return finish(seq, r.status, r.body, applied);
}

action fake_nyxid::proxy_call(const kit::http_request& req, std::uint64_t seq) {
  const std::string rest = req.path.substr(proxy_prefix.size());
  const auto slash = rest.find('/');
  proxy_request p;
  p.method = req.method;
  p.slug = rest.substr(0, slash);
  p.path = slash == std::string::npos ? "/" : rest.substr(slash);
  p.query = req.query;
  p.body = req.body;
  p.credential = credential_kind(req.header("authorization"));
  bool ok =
      p.credential == "api_key" || p.credential == "access_token" || p.credential == "user_token";
  if (ok && p.credential == "api_key") {
    const auto* k = relay_.key_by_secret(req.header("authorization").substr(7));
    ok = k && k->active;
  } else if (ok) {
    auto v = keys_.verify(req.header("authorization").substr(7));
    ok = json_util::int_at(v.claims, "exp").value_or(0) + 60 >= now() / 1000;
  }
  if (!ok) {
    return finish(seq, 401,
                  json::object{{"error", "unauthorized"},
                               {"error_code", 1001},
                               {"message", "Unauthorized: Invalid or missing credentials"}},
                  "");
  }
  proxy_answer a = proxy_.handle(p, now());
  return finish(seq, a.status, a.body, "");
}

action fake_nyxid::oauth_call(const kit::http_request& req, std::uint64_t seq,
                              std::string_view endpoint) {
  oauth_answer o;
  if (endpoint == "authorize" && req.method == "GET") {
    o = oauth_.authorize(req.query, now());
  } else if (endpoint == "token" && req.method == "POST") {
    o = oauth_.token(req.body, req.header("content-type"), now());
  } else if (endpoint == "register" && req.method == "POST") {
    o = oauth_.register_client(req.body);
  } else if (endpoint == "binding" && req.method == "GET") {
    o = oauth_.get_binding(std::string_view(req.path).substr(16), req.query);
  } else if (endpoint == "revoke") {
    o = oauth_.revoke_binding(std::string_view(req.path).substr(16), req.query);
  } else {
    o = oauth_error(405, "invalid_request", "Method not allowed");
  }
  action a;
  if (o.status == 302) {
    log_.answered(seq, 302, nullptr);
    a.response.status = 302;
    a.response.content_type = "text/plain";
    a.response.headers.emplace_back("Location", o.location);
    a.response.body = "Found";
    return a;
  }
  if (o.empty) {
    log_.answered(seq, o.status, nullptr);
    a.response.status = o.status;
    a.response.content_type = "";
    return a;
  }
  a = finish(seq, o.status, o.body, "");
  if (endpoint == "token") a.response.headers.emplace_back("Cache-Control", "no-store");
  return a;
}

kit::http_response fake_nyxid::delivered(std::uint64_t ticket, const std::string& error,
                                         unsigned status, const std::string& body) {
  pending_.erase(ticket);
  for (auto& c : callbacks_) {
    if (c.seq != ticket) continue;
    c.done = true;
    c.error = error;
    c.status = status;
    c.response_body = body.substr(0, 2048);
    json::object answer = c.answer;
    answer["callback_status"] = status;
    answer["callback_error"] = error;
    answer["delivered"] = error.empty() && status == 202;  // only 202 counts (§1.1)
    answer["callback_body"] = c.response_body;
    return json_response(200, answer);
  }
  return json_response(200, json::object{{"callback_status", status}, {"callback_error", error}});
}

}  // namespace patchbay::fakes::nyxid
