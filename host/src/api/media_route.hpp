// GET /v1/media/<id> (docs/architecture.md "Media"): an inbound attachment's bytes, streamed from
// the media service's cache (fetched from the channel's plugin on a miss). Bearer token as every
// /v1 route. Also the glue between the media service and the running channels.
#pragma once

#include <memory>

#include "api/routes.hpp"
#include "media/media_service.hpp"
#include "metrics/exposition.hpp"

namespace patchbay::api {

// Answers GET/HEAD /v1/media/<id> (405 for other methods, 404 for a malformed id).
void handle_media(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex);

// The media service's way to the plugins: the channel's instance from `channels`, its
// fetch_attachment if it has one.
std::function<media::fetch_start(const media::fetch_call&, media::fetch_done)> media_fetcher(
    plugin::instance_directory& channels);

// The media service's families for /metrics (docs/metrics.md).
void write_media_metrics(metrics::text_writer& w, const media::media_counts& c);

}  // namespace patchbay::api
