// The OAuth broker's wire format (docs/protocols/nyxid-relay.md §3), without I/O: the authorize URL
// (PKCE S256 + state), the form bodies of the authorization-code grant and of the RFC 8693 token
// exchange of a binding id, their answers, and RFC 6749 error bodies ({error, error_description};
// NyxID's /api/v1 envelope is not used on /oauth/*). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "patchbay/common/url_encode.hpp"

namespace patchbay::identity {

inline constexpr std::string_view token_exchange_grant =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr std::string_view binding_id_token_type =
    "urn:nyxid:params:oauth:token-type:binding-id";

// application/x-www-form-urlencoded pieces (RFC 3986 unreserved kept, everything else %XX).
using common::url_encode;  // RFC 3986 percent-encoding (patchbay/common/url_encode.hpp)
// The decoded value of `name` in a query string or form body ('+' is a space); nullopt when
// absent or badly encoded.
std::optional<std::string> form_value(std::string_view query, std::string_view name);

struct broker_client {
  std::string base_url;  // no trailing '/'
  std::string client_id;
  std::string redirect_uri;
  std::string scope;
};

// GET {base}/oauth/authorize?response_type=code&client_id&redirect_uri&scope&state
//     &code_challenge&code_challenge_method=S256
std::string authorize_url(const broker_client& c, std::string_view state,
                          std::string_view code_challenge);
// POST {base}/oauth/token bodies (form).
std::string code_grant_form(const broker_client& c, std::string_view code,
                            std::string_view code_verifier);
std::string token_exchange_form(const broker_client& c, std::string_view binding_id);
// {base}/oauth/bindings/{id}?client_id= (DELETE revokes; always 204).
std::string binding_url(const broker_client& c, std::string_view binding_id);

// What one /oauth/token answer means.
struct token_answer {
  enum class kind {
    ok,             // 2xx with the fields expected
    invalid_grant,  // 400 invalid_grant: binding unknown, revoked or not this client's
    invalid_scope,  // 400 invalid_scope: the binding lacks a requested scope
    rejected,       // any other OAuth error (invalid_client, invalid_request, ...)
    unreadable,     // 2xx or 4xx without the expected body
    server_error,   // 5xx
  } what = kind::unreadable;
  std::string access_token;       // ok: exchange / code grant
  std::int64_t expires_in_s = 0;  // ok
  std::string binding_id;         // ok, code grant: "" when NyxID returned null
  std::string error;              // the OAuth `error` code (never a token)
  std::string error_description;  // bounded, for the operator log
};
token_answer parse_token_answer(unsigned status, std::string_view body);

// An RFC 6749 error redirect on the callback (?error=access_denied&error_description=...).
struct callback_params {
  std::string code, state, error, error_description;
};
callback_params parse_callback_query(std::string_view query);

}  // namespace patchbay::identity
