// patchbay-fake-nyxid: NyxID's OAuth broker (docs/protocols/nyxid-relay.md §3): client
// registration, authorize with PKCE S256 and state, the authorization-code grant (which creates a
// binding), the RFC 8693 token exchange of a binding id for a short-lived access token, reading and
// revoking bindings.
//
// Binding states, settable by the control API: bound (token exchange works), revoked and
// unknown (→ 400 invalid_grant), scope_mismatch (→ 400 invalid_scope "Scope '<s>' is not
// allowed for this binding"). Errors are RFC 6749 bodies {error, error_description}, never the
// /api/v1 envelope. Authorize approves at once, as the subject set by the control API (no login
// page): it redirects to redirect_uri with code and state.
//
// Access tokens are RS256 JWTs from key_store (token_type "access"), so the proxy can accept
// them. Time is a caller-supplied Unix-ms clock. Not thread-safe (owned by fake_nyxid).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ids.hpp"
#include "key_store.hpp"

namespace patchbay::fakes::nyxid {

inline constexpr std::string_view token_exchange_grant =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr std::string_view binding_token_type =
    "urn:nyxid:params:oauth:token-type:binding-id";
inline constexpr std::string_view broker_scope = "urn:nyxid:scope:broker_binding";

struct oauth_settings {
  std::string issuer;
  std::int64_t code_ttl_s = 600;
  std::int64_t access_ttl_s = 900;    // authorization_code grant (JWT_ACCESS_TTL_SECS)
  std::int64_t exchange_ttl_s = 300;  // token exchange (§4)
  bool require_state = true;
};

struct oauth_answer {
  unsigned status = 200;
  boost::json::object body;  // JSON answers
  std::string location;      // 302 redirects
  bool empty = false;        // 204
};

class oauth_broker {
 public:
  struct client {
    std::string client_id;
    std::vector<std::string> redirect_uris;  // empty = any
    std::string scope;
    bool broker = true;
  };
  struct binding {
    std::string id;
    std::string client_id;
    std::string subject;
    std::vector<std::string> scopes;
    std::string state = "bound";  // bound / revoked / unknown / scope_mismatch
    std::int64_t created_ms = 0;
    std::int64_t last_used_ms = 0;
    std::int64_t exchanges = 0;
    std::int64_t revokes = 0;
  };

  oauth_broker(oauth_settings settings, key_store& keys, id_source& ids);

  oauth_settings& settings() { return settings_; }
  // A public, broker-capable client (the one printed on the first stdout line).
  const client& add_client(std::string scope, std::vector<std::string> redirect_uris = {},
                           bool broker = true);
  const client* find_client(std::string_view id) const;

  // GET /oauth/authorize?<query>
  oauth_answer authorize(std::string_view query, std::int64_t now_ms);
  // POST /oauth/token (form or JSON body)
  oauth_answer token(std::string_view body, std::string_view content_type, std::int64_t now_ms);
  // POST /oauth/register (JSON)
  oauth_answer register_client(std::string_view body);
  // GET / DELETE /oauth/bindings/{id}?client_id=
  oauth_answer get_binding(std::string_view id, std::string_view query) const;
  oauth_answer revoke_binding(std::string_view id, std::string_view query);

  // Control API: POST /_fake/bindings. Creates (no or unknown binding_id) or changes a binding.
  // "" or an error text; `out` receives the binding.
  std::string set_binding(const boost::json::object& body, std::int64_t now_ms,
                          boost::json::object& out);
  boost::json::array bindings_json() const;
  void set_subject(std::string subject) { subject_ = std::move(subject); }
  // The next authorize answers error=access_denied (count times; -1 = until reset).
  void deny_authorize(int count) { deny_ = count; }
  void reset();

 private:
  struct pending_code {
    std::string client_id, redirect_uri, scope, challenge, subject;
    std::int64_t expires_ms = 0;
    bool used = false;
  };
  oauth_answer code_grant(const std::map<std::string, std::string>& f, std::int64_t now_ms);
  oauth_answer exchange_grant(const std::map<std::string, std::string>& f, std::int64_t now_ms);
  std::string access_token(const std::string& subject, const std::string& scope,
                           const std::string& client_id, const std::string& binding_id,
                           std::int64_t ttl_s, std::int64_t now_ms);
  boost::json::object binding_json(const binding& b) const;

  oauth_settings settings_;
  key_store& keys_;
  id_source& ids_;
  std::vector<client> clients_;
  std::map<std::string, pending_code, std::less<>> codes_;
  std::map<std::string, binding, std::less<>> bindings_;
  std::string subject_ = "nyx-user-1";
  int deny_ = 0;
};

// {"error":…, "error_description":…} with `status` (RFC 6749 §5.2).
oauth_answer oauth_error(unsigned status, std::string_view error, std::string description);

}  // namespace patchbay::fakes::nyxid
