// The host's HTTP API routes (health, readiness, channel status, metrics). Plain functions over
// kit::http_request so they are testable without sockets.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "metrics/registry.hpp"
#include "patchbay/kit/http_server.hpp"
#include "plugin/channel_status.hpp"
#include "plugin/instance_directory.hpp"
#include "turns/turn_service.hpp"

namespace patchbay::access {
class gate;
}
namespace patchbay::media {
class service;
class outbound_materializer;
}  // namespace patchbay::media

namespace patchbay::agents {
class turn_callbacks;
}

namespace patchbay::api {

struct api_context {
  plugin::status_board& registry;
  std::vector<std::string> api_tokens;  // empty: /v1/* is open (loopback use)
  std::chrono::steady_clock::time_point started_at;
  turns::turn_service* turns = nullptr;            // POST /v1/chat; null = not served (404)
  plugin::instance_directory* channels = nullptr;  // /hooks/..., /v1/messages; null = 404
  kit::io_runtime* rt = nullptr;                   // POST /v1/messages (with `store`)
  state::store* store = nullptr;
  bool metrics_require_token = false;  // GET /metrics needs the bearer token too (api/auth.hpp)
  std::chrono::milliseconds channel_grace{60'000};  // GET /healthz/channels (api/health.hpp)
  metrics::registry* metrics = nullptr;  // GET /metrics beyond the status board; /hooks counts
  // POST /v1/reload (api/reload_route.hpp): asks the host to reload; `done(status, json)` runs
  // once, on any thread, with the outcome. Empty = not served (404).
  std::function<void(std::function<void(unsigned status, std::string json)> done)> reload;
  // Who may talk to the bot: /v1/pairings (api/pairing_routes.hpp) and the access rules of
  // POST /v1/messages. Null = neither (pairing routes 404, sends not gated).
  access::gate* access = nullptr;
  // GET /v1/media/<id> (api/media_route.hpp): inbound attachments. Null = not served (404).
  media::service* media = nullptr;
  // POST /v1/messages `attachments` (host/src/media/); null = such requests answer 422.
  media::outbound_materializer* media_out = nullptr;
  // POST /v1/turns/<turn>/responses (api/turn_responses_route.hpp): `callback` agents' answers.
  // Null = every turn is unknown (404).
  agents::turn_callbacks* callbacks = nullptr;
};

kit::http_response handle_api_request(api_context& ctx, const kit::http_request& req);
kit::http_handler make_api_handler(api_context& ctx);

// POST /v1/chat: validates {"text", "thread"?, "agent"?} and streams the turn as SSE (400 for bad
// input, 401 without a valid token).
void handle_chat(api_context& ctx, std::shared_ptr<kit::http_exchange> ex);

// POST /v1/messages: a proactive send (see proactive_send.hpp).
void handle_messages(api_context& ctx, std::shared_ptr<kit::http_exchange> ex);

// Any method on /hooks/<channel-id>[/...]: handed to that channel's plugin (no bearer token: the
// plugin authenticates its platform). 404 for an id that is not configured; 503
// channel_not_running with Retry-After for a configured channel that is not running (starting,
// failed, stopping).
void handle_hook(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex);

}  // namespace patchbay::api
