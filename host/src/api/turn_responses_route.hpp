// POST /v1/turns/<turn>/responses (docs/architecture.md §9): a `callback` agent's answer to a turn
// the host handed it (agents/turn_callbacks.hpp). Not behind the API's tokens: the per-turn token
// the agent received is its Bearer credential. Body: one thread_response object, a JSON array of
// them, or NDJSON lines (capped by the server's default body limit, 1 MiB: 413).
// Answers: 202 {"accepted": n}; 400 with a reason; 401 bad or missing token; 404 unknown turn;
// 405 other methods; 410 the turn ended; 503 shutting down (Retry-After). The token is never
// logged nor echoed. Pure over kit::http_request: testable without sockets; any thread.
#pragma once

#include "agents/turn_callbacks.hpp"
#include "patchbay/kit/http_types.hpp"

namespace patchbay::api {

// `callbacks` null: no callback agents on this host (404 for every turn).
kit::http_response turn_responses_response(agents::turn_callbacks* callbacks,
                                           const kit::http_request& req);

}  // namespace patchbay::api
