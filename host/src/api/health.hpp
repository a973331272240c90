// GET /healthz/channels: channel health for monitors and orchestrators (docs/architecture.md §9).
// 200 when every enabled channel is `connected` or has not been down for longer than the grace
// (host.health.channel_grace_ms); else 503 naming the channels down past it. The body lists every
// channel with its state, reason and how long it has been in it. No bearer token (like /healthz and
// /readyz): it names channels and reasons, never a secret.
#pragma once

#include <chrono>

#include "patchbay/kit/http_types.hpp"
#include "plugin/channel_status.hpp"

namespace patchbay::api {

kit::http_response channel_health_response(const plugin::status_board& board,
                                           std::chrono::milliseconds grace,
                                           const kit::http_request& req);

}  // namespace patchbay::api
