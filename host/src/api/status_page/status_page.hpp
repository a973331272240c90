// GET /status: the status page, a small static HTML+JS+CSS page compiled into the binary (no
// build chain at run time, no CDN) that polls GET /v1/channels from the browser and shows every
// channel's state. The page needs no token and holds no secret: when /v1/channels answers 401 it
// asks for the API token, which stays in the browser's sessionStorage.
#pragma once

#include <optional>

#include "patchbay/kit/http_types.hpp"

namespace patchbay::api {

// Serves /status (the HTML), /status/status.js and /status/status.css, with strict headers
// (Content-Security-Policy default-src 'self', X-Content-Type-Options: nosniff, Cache-Control:
// no-store, no framing, no referrer). Other methods than GET/HEAD get 405, other files under
// /status/ 404. nullopt when the path is not the page's (the caller routes it on).
std::optional<kit::http_response> status_page_response(const kit::http_request& req);

}  // namespace patchbay::api
