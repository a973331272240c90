// GET /metrics: the Prometheus text exposition of the host (format 0.0.4).
#pragma once

#include "api/routes.hpp"

namespace patchbay::api {

kit::http_response metrics_response(api_context& ctx);

}  // namespace patchbay::api
