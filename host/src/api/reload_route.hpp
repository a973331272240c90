// POST /v1/reload: asks the running host to re-read its configuration (docs/architecture.md
// §12) and answers with the outcome as JSON: 200 with the channels added, removed,
// restarted, unchanged, retried, kept and failed, the agents changed and the settings applied or
// needing a restart; 422 with the validation errors (the running configuration stays); 503 while
// the host stops; 504 when the reload did not finish within the wait (it still completes; the log
// and GET /v1/channels show the result). Needs the bearer token when tokens are configured.
// Concurrent requests are coalesced by the host into one reload and all get its outcome.
#pragma once

#include <chrono>
#include <memory>

#include "api/routes.hpp"

namespace patchbay::api {

void handle_reload(api_context& ctx, std::shared_ptr<kit::http_exchange> ex,
                   std::chrono::milliseconds wait = std::chrono::seconds(60));

}  // namespace patchbay::api
