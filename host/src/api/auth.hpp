// The HTTP API's bearer tokens: which requests need one, the check (constant time), and the
// screen that applies it on a request's header alone, before the server reads any body byte.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/routes.hpp"
#include "patchbay/kit/http_types.hpp"

namespace patchbay::api {

// Checks "Authorization: Bearer <token>" against the configured tokens in constant time. The
// scheme is case-insensitive and may be followed by several spaces (RFC 7235: 1*SP).
bool bearer_authorized(const std::vector<std::string>& tokens, std::string_view authorization);
// The credential of "Authorization: Bearer <credential>" (same parsing); "" when there is none.
std::string_view bearer_credential(std::string_view authorization);

// True for POST /v1/turns/<turn>/responses: a `callback` agent's answer, authenticated by its
// per-turn token (api/turn_responses_route.hpp), not by the API's tokens.
bool is_turn_responses_path(std::string_view path);

// True when `path` needs a token (tokens configured): /v1/* but the turn responses route, and
// /metrics when ctx.metrics_require_token.
bool needs_token(const api_context& ctx, std::string_view path);

// The 401 answer (WWW-Authenticate: Bearer) for a request that needs a token and has no valid one;
// nullopt when it may go on.
std::optional<kit::http_response> refuse_without_token(const api_context& ctx,
                                                       const kit::http_request& req);

// For kit::http_server_options::screen: refuse_without_token on the header alone.
std::function<std::optional<kit::http_response>(const kit::http_request&)> make_api_screen(
    const api_context& ctx);

}  // namespace patchbay::api
