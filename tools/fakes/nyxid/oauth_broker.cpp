#include "oauth_broker.hpp"

#include "patchbay/common/digest.hpp"

#include <cctype>

#include <sstream>

#include "patchbay/common/base64.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

namespace {

std::vector<std::string> split_scope(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

// Form fields (application/x-www-form-urlencoded, or a flat JSON object of strings).
std::map<std::string, std::string> fields(std::string_view body, std::string_view content_type) {
  std::map<std::string, std::string> f;
  if (content_type.find("json") != std::string_view::npos) {
    if (auto v = json_util::parse(body); v && v->is_object())
      for (const auto& [k, val] : v->get_object())
        if (val.is_string()) f[std::string(k)] = std::string(val.get_string());
    return f;
  }
  for (const char* name :
       {"grant_type", "code", "code_verifier", "redirect_uri", "client_id", "subject_token",
        "subject_token_type", "scope", "requested_token_type", "audience"}) {
    if (auto v = form_param(body, name)) f[name] = *v;
  }
  return f;
}

std::string s256(std::string_view verifier) {
  return patchbay::common::base64url_encode(patchbay::common::sha256(verifier));
}

bool valid_verifier(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
          c == '~'))
      return false;
  return true;
}

}  // namespace

oauth_answer oauth_error(unsigned status, std::string_view error, std::string description) {
  oauth_answer a;
  a.status = status;
  a.body = json::object{{"error", error}, {"error_description", std::move(description)}};
  return a;
}

oauth_broker::oauth_broker(oauth_settings settings, key_store& keys, id_source& ids)
    : settings_(std::move(settings)), keys_(keys), ids_(ids) {}

const oauth_broker::client& oauth_broker::add_client(std::string scope,
                                                     std::vector<std::string> redirect_uris,
                                                     bool broker) {
  clients_.push_back(
      client{"nyx_client_" + ids_.alnum(20), std::move(redirect_uris), std::move(scope), broker});
  return clients_.back();
}

const oauth_broker::client* oauth_broker::find_client(std::string_view id) const {
  for (const auto& c : clients_)
    if (!id.empty() && c.client_id == id) return &c;
  return nullptr;
}

oauth_answer oauth_broker::authorize(std::string_view query, std::int64_t now_ms) {
  const auto q = [&](std::string_view n) { return form_param(query, n).value_or(""); };
  const client* c = find_client(q("client_id"));
  if (!c) return oauth_error(400, "invalid_client", "Unknown client_id");
  const std::string redirect = q("redirect_uri");
  bool redirect_ok = !redirect.empty() &&
                     (redirect.rfind("http://", 0) == 0 || redirect.rfind("https://", 0) == 0);
  if (redirect_ok && !c->redirect_uris.empty()) {
    redirect_ok = false;
    for (const auto& r : c->redirect_uris) redirect_ok = redirect_ok || r == redirect;
  }
  if (!redirect_ok) return oauth_error(400, "invalid_request", "Invalid redirect_uri");
  // From here errors go back to the client through the redirect (RFC 6749 §4.1.2.1).
  const std::string state = q("state");
  const auto back = [&](std::string_view error, std::string_view description) {
    oauth_answer a;
    a.status = 302;
    a.location = redirect + (redirect.find('?') == std::string::npos ? "?" : "&") +
                 "error=" + std::string(error) + "&error_description=" + url_encode(description) +
                 (state.empty() ? "" : "&state=" + url_encode(state));
    return a;
  };
  if (q("response_type") != "code")
    return back("unsupported_response_type", "response_type must be code");
  if (settings_.require_state && state.empty()) return back("invalid_request", "state is required");
  const std::string challenge = q("code_challenge");
  if (challenge.empty()) return back("invalid_request", "code_challenge is required");
  if (q("code_challenge_method") != "S256")
    return back("invalid_request", "code_challenge_method must be S256");
  if (challenge.size() != 43 || !patchbay::common::base64url_decode(challenge))
    return back("invalid_request", "code_challenge is not a base64url SHA-256");
  if (deny_ != 0) {
    if (deny_ > 0) --deny_;
    return back("access_denied", "The user denied the request");
  }
  const std::string code = ids_.alnum(32);
  codes_[code] = pending_code{c->client_id, redirect, q("scope"),
                              challenge,    subject_, now_ms + settings_.code_ttl_s * 1000,
                              false};
  while (codes_.size() > 10'000) codes_.erase(codes_.begin());
  oauth_answer a;
  a.status = 302;
  a.location = redirect + (redirect.find('?') == std::string::npos ? "?" : "&") + "code=" + code +
               "&state=" + url_encode(state);
  return a;
}

oauth_answer oauth_broker::token(std::string_view body, std::string_view content_type,
                                 std::int64_t now_ms) {
  const auto f = fields(body, content_type);
  const auto get = [&](const char* k) {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  if (!find_client(get("client_id"))) return oauth_error(401, "invalid_client", "Unknown client");
  const std::string grant = get("grant_type");
  if (grant == "authorization_code") return code_grant(f, now_ms);
  if (grant == token_exchange_grant) return exchange_grant(f, now_ms);
  return oauth_error(400, "unsupported_grant_type", "Unsupported grant_type");
}

oauth_answer oauth_broker::code_grant(const std::map<std::string, std::string>& f,
                                      std::int64_t now_ms) {
  const auto get = [&](const char* k) {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  auto it = codes_.find(get("code"));
  if (it == codes_.end()) return oauth_error(400, "invalid_grant", "Invalid authorization code");
  pending_code& p = it->second;
  if (p.used) return oauth_error(400, "invalid_grant", "Authorization code already used");
  if (p.expires_ms < now_ms) return oauth_error(400, "invalid_grant", "Authorization code expired");
  if (p.client_id != get("client_id")) return oauth_error(400, "invalid_grant", "Client mismatch");
  if (p.redirect_uri != get("redirect_uri"))
    return oauth_error(400, "invalid_grant", "redirect_uri mismatch");
  const std::string verifier = get("code_verifier");
  if (!valid_verifier(verifier) || s256(verifier) != p.challenge)
    return oauth_error(400, "invalid_grant", "PKCE verification failed");
  p.used = true;
  const client* c = find_client(p.client_id);
  const std::vector<std::string> scopes = split_scope(p.scope);
  json::value binding_id = nullptr;
  if (c && c->broker) {
    binding b;
    b.id = ids_.binding_id();
    b.client_id = p.client_id;
    b.subject = p.subject;
    b.scopes = scopes;
    b.created_ms = now_ms;
    binding_id = json::string(b.id);
    bindings_[b.id] = b;
  }
  oauth_answer a;
  a.body = json::object{
      {"access_token",
       access_token(p.subject, p.scope, p.client_id,
                    binding_id.is_string() ? std::string(binding_id.get_string()) : std::string(),
                    settings_.access_ttl_s, now_ms)},
      {"token_type", "Bearer"},
      {"expires_in", settings_.access_ttl_s},
      {"id_token", keys_.sign(json::object{{"iss", settings_.issuer},
                                           {"sub", p.subject},
                                           {"aud", p.client_id},
                                           {"iat", now_ms / 1000},
                                           {"exp", now_ms / 1000 + settings_.access_ttl_s}})},
      {"scope", p.scope},
      {"binding_id", binding_id}};
  return a;
}

oauth_answer oauth_broker::exchange_grant(const std::map<std::string, std::string>& f,
                                          std::int64_t now_ms) {
  const auto get = [&](const char* k) {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  if (get("subject_token_type") != binding_token_type)
    return oauth_error(400, "invalid_request", "Unsupported subject_token_type");
  static const std::string grant_failed = "External token verification failed: invalid_grant";
  const client* c = find_client(get("client_id"));
  auto it = bindings_.find(get("subject_token"));
  if (!c || !c->broker || it == bindings_.end())
    return oauth_error(400, "invalid_grant", grant_failed);
  binding& b = it->second;
  if (b.client_id != c->client_id || b.state == "revoked" || b.state == "unknown")
    return oauth_error(400, "invalid_grant", grant_failed);
  const std::vector<std::string> wanted = split_scope(get("scope"));
  if (b.state == "scope_mismatch") {
    return oauth_error(400, "invalid_scope",
                       "Invalid scope: Scope '" +
                           (wanted.empty() ? std::string("proxy") : wanted[0]) +
                           "' is not allowed for this binding");
  }
  for (const auto& s : wanted) {
    bool allowed = false;
    for (const auto& have : b.scopes) allowed = allowed || have == s;
    if (!allowed)
      return oauth_error(400, "invalid_scope",
                         "Invalid scope: Scope '" + s + "' is not allowed for this binding");
  }
  const std::string scope = wanted.empty() ? join(b.scopes) : join(wanted);
  b.last_used_ms = now_ms;
  ++b.exchanges;
  oauth_answer a;
  a.body = json::object{{"access_token", access_token(b.subject, scope, c->client_id, b.id,
                                                      settings_.exchange_ttl_s, now_ms)},
                        {"token_type", "Bearer"},
                        {"expires_in", settings_.exchange_ttl_s},
                        {"scope", scope},
                        {"issued_token_type", "urn:ietf:params:oauth:token-type:access_token"}};
  return a;
}

std::string oauth_broker::access_token(const std::string& subject, const std::string& scope,
                                       const std::string& client_id, const std::string& binding_id,
                                       std::int64_t ttl_s, std::int64_t now_ms) {
  json::object claims{{"iss", settings_.issuer},
                      {"sub", subject},
                      {"aud", "nyxid"},
                      {"iat", now_ms / 1000},
                      {"exp", now_ms / 1000 + ttl_s},
                      {"jti", ids_.uuid()},
                      {"scope", scope},
                      {"token_type", "access"},
                      {"client_id", client_id}};
  if (!binding_id.empty()) claims["binding_id"] = binding_id;
  return keys_.sign(claims);
}

oauth_answer oauth_broker::register_client(std::string_view body) {
  auto v = json_util::parse(body);
  if (!v || !v->is_object())
    return oauth_error(400, "invalid_client_metadata", "Body must be JSON");
  const json::object& o = v->get_object();
  std::vector<std::string> uris;
  if (const auto* r = o.if_contains("redirect_uris"); r && r->is_array())
    for (const auto& u : r->get_array())
      if (u.is_string()) uris.emplace_back(u.get_string());
  const std::string scope(json_util::string_at(o, "scope"));
  const bool broker = scope.find(broker_scope) != std::string::npos;
  const client& c = add_client(scope, uris, broker);
  oauth_answer a;
  a.status = 201;
  json::array ru;
  for (const auto& u : c.redirect_uris) ru.push_back(json::string(u));
  a.body = json::object{{"client_id", c.client_id},
                        {"client_name", json_util::string_at(o, "client_name")},
                        {"redirect_uris", std::move(ru)},
                        {"scope", c.scope},
                        {"token_endpoint_auth_method", "none"}};
  return a;
}

json::object oauth_broker::binding_json(const binding& b) const {
  json::array scopes;
  for (const auto& s : b.scopes) scopes.push_back(json::string(s));
  return json::object{{"binding_id", b.id},
                      {"client_id", b.client_id},
                      {"nyx_subject", b.subject},
                      {"scopes", std::move(scopes)},
                      {"state", b.state},
                      {"revoked", b.state == "revoked"},
                      {"created_at", rfc3339(b.created_ms)},
                      {"last_used_at", b.last_used_ms ? json::value(rfc3339(b.last_used_ms))
                                                      : json::value(nullptr)},
                      {"exchanges", b.exchanges},
                      {"revokes", b.revokes}};
}

oauth_answer oauth_broker::get_binding(std::string_view id, std::string_view query) const {
  auto it = bindings_.find(id);
  const std::string client_id = form_param(query, "client_id").value_or("");
  if (it == bindings_.end() || it->second.state == "unknown" || it->second.client_id != client_id)
    return oauth_error(404, "not_found", "binding not found");
  oauth_answer a;
  a.body = binding_json(it->second);
  return a;
}

oauth_answer oauth_broker::revoke_binding(std::string_view id, std::string_view query) {
  auto it = bindings_.find(id);
  const std::string client_id = form_param(query, "client_id").value_or("");
  if (it != bindings_.end()) {
    ++it->second.revokes;
    if (it->second.client_id == client_id && it->second.state != "unknown")
      it->second.state = "revoked";
  }
  oauth_answer a;
  a.status = 204;
  a.empty = true;
  return a;
}

std::string oauth_broker::set_binding(const json::object& body, std::int64_t now_ms,
                                      json::object& out) {
  const std::string state(json_util::string_at(body, "state"));
  if (!state.empty() && state != "bound" && state != "revoked" && state != "unknown" &&
      state != "scope_mismatch")
    return "state must be bound, revoked, unknown or scope_mismatch";
  std::string id(json_util::string_at(body, "binding_id"));
  auto it = bindings_.find(id);
  if (it == bindings_.end()) {
    binding b;
    b.id = id.empty() ? ids_.binding_id() : id;
    b.client_id = std::string(json_util::string_at(body, "client_id"));
    if (b.client_id.empty() && !clients_.empty()) b.client_id = clients_.front().client_id;
    b.subject = std::string(json_util::string_at(body, "subject"));
    if (b.subject.empty()) b.subject = subject_;
    b.scopes = {"openid", "proxy"};
    b.created_ms = now_ms;
    it = bindings_.emplace(b.id, b).first;
  }
  if (!state.empty()) it->second.state = state;
  if (const auto* s = body.if_contains("scopes"); s && s->is_array()) {
    it->second.scopes.clear();
    for (const auto& v : s->get_array())
      if (v.is_string()) it->second.scopes.emplace_back(v.get_string());
  }
  out = binding_json(it->second);
  return "";
}

json::array oauth_broker::bindings_json() const {
  json::array a;
  for (const auto& [id, b] : bindings_) a.push_back(binding_json(b));
  return a;
}

void oauth_broker::reset() {
  codes_.clear();
  bindings_.clear();
  subject_ = "nyx-user-1";
  deny_ = 0;
}

}  // namespace patchbay::fakes::nyxid
