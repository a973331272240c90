// The host's HTTP server options for its API: the body limits (by method and path), the bearer
// token screen, the connection limits and the reserve kept for /healthz, /readyz and /hooks/.
#pragma once

#include "api/routes.hpp"
#include "config/config.hpp"
#include "patchbay/kit/http_server.hpp"

namespace patchbay::api {

// Paths served from the connection reserve (kit::http_server_options::priority_paths).
inline const std::vector<std::string>& priority_paths() {
  static const std::vector<std::string> paths{"/healthz", "/readyz", "/hooks/"};
  return paths;
}

// The options for the API server on host.listen; the screen refers to `ctx`, which must outlive
// the server.
kit::http_server_options api_server_options(const api_context& ctx,
                                            const config::host_config& host);

}  // namespace patchbay::api
