#include "identity/oauth_messages.hpp"

#include <boost/json.hpp>
#include "patchbay/common/json_util.hpp"

namespace patchbay::identity {
namespace json = boost::json;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string str(const json::object& o, std::string_view key) {
  return std::string(common::json_util::string_at(o, key));
}

std::string bounded(std::string s, std::size_t n = 300) {
  if (s.size() > n) s.resize(n);
  return s;
}

}  // namespace

std::optional<std::string> form_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (auto k = url_decode(pair.substr(0, eq)); k && *k == name)
      return eq == std::string_view::npos ? std::optional<std::string>("")
                                          : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string authorize_url(const broker_client& c, std::string_view state,
                          std::string_view code_challenge) {
  return c.base_url + "/oauth/authorize?response_type=code&client_id=" + url_encode(c.client_id) +
         "&redirect_uri=" + url_encode(c.redirect_uri) + "&scope=" + url_encode(c.scope) +
         "&state=" + url_encode(state) + "&code_challenge=" + url_encode(code_challenge) +
         "&code_challenge_method=S256";
}

std::string code_grant_form(const broker_client& c, std::string_view code,
                            std::string_view code_verifier) {
  return "grant_type=authorization_code&code=" + url_encode(code) +
         "&code_verifier=" + url_encode(code_verifier) +
         "&redirect_uri=" + url_encode(c.redirect_uri) + "&client_id=" + url_encode(c.client_id);
}

std::string token_exchange_form(const broker_client& c, std::string_view binding_id) {
  return "grant_type=" + url_encode(token_exchange_grant) +
         "&subject_token=" + url_encode(binding_id) +
         "&subject_token_type=" + url_encode(binding_id_token_type) +
         "&client_id=" + url_encode(c.client_id);
}

std::string binding_url(const broker_client& c, std::string_view binding_id) {
  return c.base_url + "/oauth/bindings/" + url_encode(binding_id) +
         "?client_id=" + url_encode(c.client_id);
}

token_answer parse_token_answer(unsigned status, std::string_view body) {
  token_answer a;
  json::error_code ec;
  json::value v = json::parse(body, ec);
  const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
  if (status >= 500) {
    a.what = token_answer::kind::server_error;
    if (o) a.error = bounded(str(*o, "error"), 100);
    return a;
  }
  if (status >= 200 && status < 300) {
    if (!o) return a;
    a.access_token = str(*o, "access_token");
    if (const auto* e = o->if_contains("expires_in"); e && e->is_int64())
      a.expires_in_s = e->get_int64();
    a.binding_id = str(*o, "binding_id");
    a.what = a.access_token.empty() ? token_answer::kind::unreadable : token_answer::kind::ok;
    return a;
  }
  if (!o || str(*o, "error").empty()) return a;
  a.error = bounded(str(*o, "error"), 100);
  a.error_description = bounded(str(*o, "error_description"));
  if (status == 400 && a.error == "invalid_grant")
    a.what = token_answer::kind::invalid_grant;
  else if (status == 400 && a.error == "invalid_scope")
    a.what = token_answer::kind::invalid_scope;
  else
    a.what = token_answer::kind::rejected;
  return a;
}

callback_params parse_callback_query(std::string_view query) {
  callback_params p;
  p.code = form_value(query, "code").value_or("");
  p.state = form_value(query, "state").value_or("");
  p.error = bounded(form_value(query, "error").value_or(""), 100);
  p.error_description = bounded(form_value(query, "error_description").value_or(""));
  return p;
}

}  // namespace patchbay::identity
