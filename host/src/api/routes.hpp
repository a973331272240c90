// The host's HTTP API routes (health, readiness, channel status, metrics). Plain functions over
// kit::http_request so they are testable without sockets.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "patchbay/kit/http_server.hpp"
#include "plugin/channel_status.hpp"
#include "plugin/instance_directory.hpp"
#include "turns/turn_service.hpp"

namespace patchbay::api {

struct api_context {
  plugin::status_board& registry;
  std::vector<std::string> api_tokens;  // empty: /v1/* is open (loopback use)
  std::chrono::steady_clock::time_point started_at;
  turns::turn_service* turns = nullptr;            // POST /v1/chat; null = not served (404)
  plugin::instance_directory* channels = nullptr;  // /hooks/..., /v1/messages; null = 404
  kit::io_runtime* rt = nullptr;                   // POST /v1/messages (with `store`)
  state::store* store = nullptr;
  std::chrono::milliseconds channel_grace{60'000};  // GET /healthz/channels (api/health.hpp)
};

kit::http_response handle_api_request(api_context& ctx, const kit::http_request& req);
kit::http_handler make_api_handler(api_context& ctx);

// POST /v1/chat: validates {"text", "thread"?, "agent"?} and streams the turn as SSE (400 for bad
// input, 401 without a valid token).
void handle_chat(api_context& ctx, std::shared_ptr<kit::http_exchange> ex);

// POST /v1/messages: a proactive send (see proactive_send.hpp).
void handle_messages(api_context& ctx, std::shared_ptr<kit::http_exchange> ex);

// Any method on /hooks/<channel-id>[/...]: handed to that channel's plugin (no bearer token: the
// plugin authenticates its platform). 404 for an unknown channel.
void handle_hook(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex);

// Constant-time check of "Authorization: Bearer <token>" against the configured tokens.
bool bearer_authorized(const std::vector<std::string>& tokens, std::string_view authorization);

}  // namespace patchbay::api
